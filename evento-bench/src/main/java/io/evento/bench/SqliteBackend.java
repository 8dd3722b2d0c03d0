package io.evento.bench;

import io.evento.sqlite.SqliteExecutor;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.sqlite.SQLiteConfig;

/**
 * SQLite, in files under {@code target/bench-data/}: a fresh folder per store, holding the
 * executor's file and the raw side's, both created by the executor's own migrations (same table,
 * indexes, STRICT typing) and both in WAL mode. The folder is deleted on close.
 */
final class SqliteBackend implements Backend {
    /**
     * The executor's default busy timeout (SqliteExecutor.Builder.DEFAULT_BUSY_TIMEOUT). Only one
     * connection writes each file, so it never comes into play; it is set for the same settings.
     */
    private static final Duration BUSY_TIMEOUT = SqliteExecutor.Builder.DEFAULT_BUSY_TIMEOUT;

    /** The most rows one raw insert binds: 9 parameters a row within SQLite's 32,766. */
    private static final int MAX_ROWS_PER_INSERT = 32_766 / 9;

    @Override
    public String name() {
        return "sqlite";
    }

    @Override
    public String version() {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT sqlite_version()")) {
            rs.next();
            return "SQLite " + rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException("SQLite is unavailable: " + e.getMessage(), e);
        }
    }

    @Override
    public Store open(int writers) {
        // One writer whatever `writers` says: SQLite writes one transaction at a time, and both
        // sides serialize their writers (the executor on its single writer connection).
        Path folder = RawSupport.freshFolder("sqlite-");
        Path file = folder.resolve("library.db");
        Path rawFile = folder.resolve("raw.db");
        SqliteExecutor executor = null;
        SqliteRaw raw = null;
        try {
            executor = SqliteExecutor.open(file);
            // The raw side's tables (and WAL mode, which persists in the file), made by the same
            // migrations; the executor is only a DDL tool here.
            SqliteExecutor.open(rawFile).close();
            raw = new SqliteRaw(rawFile);
            return new BenchStore(
                    executor, raw, () -> SqliteExecutor.open(file), () -> RawSupport.deleteRecursively(folder));
        } catch (RuntimeException e) {
            throw BenchStore.abandon(e, executor, raw, () -> RawSupport.deleteRecursively(folder));
        }
    }

    /**
     * Raw JDBC on the raw file, set up as the executor sets up its own: one writer connection with
     * {@code journal_mode = WAL}, {@code synchronous = NORMAL} (the executor's default durability)
     * and the default busy timeout, and a read-only connection for scans and loads (the executor
     * reads on a pool of read-only connections).
     *
     * <p>An append takes a lock, as the executor's writer does, since SQLite has one writer: {@code
     * BEGIN IMMEDIATE}, one multi-row {@code INSERT} (sqlite-jdbc's batches are one native step per
     * row; a multi-row statement is one step for all of them), {@code COMMIT}. Statements are
     * prepared once per connection and kept, as the executor keeps its own: preparing is a large
     * part of a small SQLite operation, and a careful raw program would not repeat it. The
     * executor's check that an existing aggregate is at the expected version is not done: the
     * unique key alone refuses a conflicting version.
     */
    static final class SqliteRaw implements Raw {
        private static final String COLUMNS =
                "position, id, aggregator_type, aggregator_id, version, name, routing_key, data, metadata, timestamp";
        private static final String INSERT_HEAD = "INSERT INTO evento_event (id, aggregator_type, aggregator_id,"
                + " version, name, routing_key, data, metadata, timestamp) VALUES ";
        private static final String SCAN =
                "SELECT " + COLUMNS + " FROM evento_event WHERE position > ? ORDER BY position LIMIT ?";
        private static final String LOAD = "SELECT " + COLUMNS + " FROM evento_event"
                + " WHERE aggregator_type = ? AND aggregator_id = ? ORDER BY version";

        private final ReentrantLock writeLock = new ReentrantLock();
        private final ReentrantLock readLock = new ReentrantLock();
        private final Connection writer;
        private final Connection reader;
        private final PreparedStatement begin;
        private final PreparedStatement commit;
        private final PreparedStatement rollback;
        private final Map<Integer, PreparedStatement> inserts = new HashMap<>();
        private final PreparedStatement scan;
        private final PreparedStatement load;

        SqliteRaw(Path file) {
            Connection w = null;
            Connection r = null;
            try {
                w = connect(file, false);
                try (Statement s = w.createStatement()) {
                    s.execute("PRAGMA journal_mode = WAL");
                    s.execute("PRAGMA synchronous = NORMAL");
                }
                r = connect(file, true);
                this.writer = w;
                this.reader = r;
                this.begin = w.prepareStatement("BEGIN IMMEDIATE");
                this.commit = w.prepareStatement("COMMIT");
                this.rollback = w.prepareStatement("ROLLBACK");
                this.scan = r.prepareStatement(SCAN);
                this.load = r.prepareStatement(LOAD);
            } catch (SQLException e) {
                IllegalStateException failure =
                        new IllegalStateException("opening raw SQLite file " + file + ": " + e.getMessage(), e);
                throw BenchStore.abandon(failure, w, r);
            }
        }

        /** A connection like the executor's (SqliteExecutor.connect). */
        private static Connection connect(Path file, boolean readOnly) throws SQLException {
            SQLiteConfig config = new SQLiteConfig();
            config.setReadOnly(readOnly);
            config.setBusyTimeout((int) BUSY_TIMEOUT.toMillis());
            return config.createConnection("jdbc:sqlite:" + file);
        }

        @Override
        public void append(String aggregateId, int firstVersion, List<byte[]> payloads) {
            byte[] metadata = RawSupport.metadata(RawSupport.newId());
            long micros = RawSupport.nowMicros();
            writeLock.lock();
            try {
                begin.execute();
                boolean committed = false;
                try {
                    for (int from = 0; from < payloads.size(); from += MAX_ROWS_PER_INSERT) {
                        int to = Math.min(payloads.size(), from + MAX_ROWS_PER_INSERT);
                        PreparedStatement insert = insert(to - from);
                        int p = 0;
                        for (int i = from; i < to; i++) {
                            insert.setString(++p, RawSupport.newId());
                            insert.setString(++p, RawSupport.AGGREGATE_TYPE);
                            insert.setString(++p, aggregateId);
                            insert.setInt(++p, firstVersion + i);
                            insert.setString(++p, RawSupport.EVENT_NAME);
                            insert.setString(++p, null);
                            insert.setBytes(++p, payloads.get(i));
                            insert.setBytes(++p, metadata);
                            insert.setLong(++p, micros);
                        }
                        insert.executeUpdate();
                    }
                    commit.execute();
                    committed = true;
                } finally {
                    if (!committed) {
                        rollback.execute();
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException("raw append to " + aggregateId + " failed: " + e.getMessage(), e);
            } finally {
                writeLock.unlock();
            }
        }

        /** The kept statement inserting {@code rows} rows; the caller holds the write lock. */
        private PreparedStatement insert(int rows) throws SQLException {
            PreparedStatement insert = inserts.get(rows);
            if (insert == null) {
                StringBuilder sql = new StringBuilder(INSERT_HEAD.length() + rows * 30).append(INSERT_HEAD);
                for (int row = 0; row < rows; row++) {
                    sql.append(row == 0 ? "" : ", ").append("(?, ?, ?, ?, ?, ?, ?, ?, ?)");
                }
                insert = writer.prepareStatement(sql.toString());
                inserts.put(rows, insert);
            }
            return insert;
        }

        @Override
        public long scan(long afterPosition, int limit, Consumer<byte[]> each) {
            readLock.lock();
            try {
                scan.setLong(1, afterPosition);
                scan.setInt(2, limit);
                long last = -1;
                try (ResultSet rs = scan.executeQuery()) {
                    while (rs.next()) {
                        last = readRow(rs, each);
                    }
                }
                return last;
            } catch (SQLException e) {
                throw new IllegalStateException("raw scan failed: " + e.getMessage(), e);
            } finally {
                readLock.unlock();
            }
        }

        @Override
        public void load(String aggregateId, Consumer<byte[]> each) {
            readLock.lock();
            try {
                load.setString(1, RawSupport.AGGREGATE_TYPE);
                load.setString(2, aggregateId);
                try (ResultSet rs = load.executeQuery()) {
                    while (rs.next()) {
                        readRow(rs, each);
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException("raw load of " + aggregateId + " failed: " + e.getMessage(), e);
            } finally {
                readLock.unlock();
            }
        }

        /** Decodes a row like the executor (EventSql.event) and returns its position. */
        private long readRow(ResultSet rs, Consumer<byte[]> each) throws SQLException {
            long position = rs.getLong(1);
            String id = rs.getString(2);
            String type = rs.getString(3);
            String aggregateId = rs.getString(4);
            int version = rs.getInt(5);
            String name = rs.getString(6);
            String routingKey = rs.getString(7);
            byte[] data = rs.getBytes(8);
            byte[] metadata = rs.getBytes(9);
            long micros = rs.getLong(10);
            RawSupport.keep(id, type, aggregateId, version, name, routingKey, metadata, micros);
            each.accept(data == null ? new byte[0] : data);
            return position;
        }

        @Override
        public void close() {
            writeLock.lock();
            readLock.lock();
            try {
                IllegalStateException failure = new IllegalStateException("closing the raw SQLite side failed");
                List<AutoCloseable> parts = new ArrayList<>(inserts.values());
                parts.addAll(List.of(begin, commit, rollback, scan, load, reader, writer));
                for (AutoCloseable part : parts) {
                    try {
                        part.close();
                    } catch (Exception e) {
                        failure.addSuppressed(e);
                    }
                }
                inserts.clear();
                if (failure.getSuppressed().length > 0) {
                    throw failure;
                }
            } finally {
                readLock.unlock();
                writeLock.unlock();
            }
        }
    }
}
