package io.evento.bench;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The raw baseline of a database server (PostgreSQL, MariaDB): plain JDBC over a HikariCP pool
 * configured like the executor's own, on a table created by the executor's own migrations.
 *
 * <p>An append is one multi-row {@code INSERT} in auto-commit mode: one statement, one round trip,
 * one transaction, with the unique key on (type, id, version) doing the concurrency check. That is
 * the least work a server can do to store a commit durably and refuse a conflicting one; the
 * library does the same statement plus whatever its global order needs. Commits too large for one
 * statement are split into several in one transaction, as the executors do.
 *
 * <p>Reads return every column the executor's reads return, decoded the way the executor decodes
 * them, so that the difference measured is the library's work and not the columns fetched (see
 * {@link RawSupport#keep}).
 */
abstract class PooledRaw implements Raw {
    private final HikariDataSource pool;
    private final String insertHead;
    private final String rowValues;
    private final int maxRowsPerInsert;
    private final String scan;
    private final String load;

    /** {@code inserts[n]} inserts n rows; built on first use, like the executors cache theirs. */
    private final AtomicReferenceArray<String> inserts;

    /**
     * @param pool the connections, auto-commit on
     * @param insertHead {@code INSERT INTO table (columns) VALUES }
     * @param rowValues the placeholders of one row, {@code (?, ?, …)}
     * @param maxRowsPerInsert the most rows one statement binds (the driver's parameter limit)
     * @param scan the keyset scan: after (long), limit (int); its first column is the key
     * @param load the aggregate load: type, id
     */
    PooledRaw(
            HikariDataSource pool,
            String insertHead,
            String rowValues,
            int maxRowsPerInsert,
            String scan,
            String load) {
        this.pool = pool;
        this.insertHead = insertHead;
        this.rowValues = rowValues;
        this.maxRowsPerInsert = maxRowsPerInsert;
        this.scan = scan;
        this.load = load;
        this.inserts = new AtomicReferenceArray<>(maxRowsPerInsert + 1);
    }

    /**
     * Binds one row of an insert from parameter {@code p + 1} on and returns the last parameter
     * index bound.
     */
    abstract int bindRow(
            PreparedStatement insert,
            int p,
            String eventId,
            String aggregateId,
            int version,
            int commitEnd,
            byte[] payload,
            byte[] metadata,
            long timestampMicros)
            throws SQLException;

    /**
     * Decodes the current row of a scan or load, gives its payload to {@code each} and returns its
     * key (the first column).
     */
    abstract long readRow(ResultSet rs, Consumer<byte[]> each) throws SQLException;

    @Override
    public void append(String aggregateId, int firstVersion, List<byte[]> payloads) {
        int commitEnd = firstVersion + payloads.size() - 1;
        byte[] metadata = RawSupport.metadata(RawSupport.newId());
        long micros = RawSupport.nowMicros();
        try (Connection c = pool.getConnection()) {
            if (payloads.size() <= maxRowsPerInsert) {
                insert(c, aggregateId, firstVersion, commitEnd, payloads, 0, payloads.size(), metadata, micros);
                return;
            }
            c.setAutoCommit(false);
            try {
                for (int from = 0; from < payloads.size(); from += maxRowsPerInsert) {
                    int to = Math.min(payloads.size(), from + maxRowsPerInsert);
                    insert(c, aggregateId, firstVersion, commitEnd, payloads, from, to, metadata, micros);
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("raw append to " + aggregateId + " failed: " + e.getMessage(), e);
        }
    }

    private void insert(
            Connection c,
            String aggregateId,
            int firstVersion,
            int commitEnd,
            List<byte[]> payloads,
            int from,
            int to,
            byte[] metadata,
            long micros)
            throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(insertSql(to - from))) {
            int p = 0;
            for (int i = from; i < to; i++) {
                p = bindRow(
                        insert,
                        p,
                        RawSupport.newId(),
                        aggregateId,
                        firstVersion + i,
                        commitEnd,
                        payloads.get(i),
                        metadata,
                        micros);
            }
            insert.executeUpdate();
        }
    }

    private String insertSql(int rows) {
        String sql = inserts.get(rows);
        if (sql == null) {
            StringBuilder text = new StringBuilder(insertHead.length() + rows * (rowValues.length() + 2));
            text.append(insertHead);
            for (int row = 0; row < rows; row++) {
                text.append(row == 0 ? "" : ", ").append(rowValues);
            }
            sql = text.toString();
            inserts.set(rows, sql);
        }
        return sql;
    }

    @Override
    public long scan(long afterPosition, int limit, Consumer<byte[]> each) {
        try (Connection c = pool.getConnection();
                PreparedStatement statement = c.prepareStatement(scan)) {
            statement.setLong(1, afterPosition);
            statement.setInt(2, limit);
            long last = -1;
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    last = readRow(rs, each);
                }
            }
            return last;
        } catch (SQLException e) {
            throw new IllegalStateException("raw scan failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void load(String aggregateId, Consumer<byte[]> each) {
        try (Connection c = pool.getConnection();
                PreparedStatement statement = c.prepareStatement(load)) {
            statement.setString(1, RawSupport.AGGREGATE_TYPE);
            statement.setString(2, aggregateId);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    readRow(rs, each);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("raw load of " + aggregateId + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
