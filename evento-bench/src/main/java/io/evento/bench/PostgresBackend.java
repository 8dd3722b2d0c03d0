package io.evento.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.evento.postgres.PostgresExecutor;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * PostgreSQL, at {@code EVENTO_POSTGRES_URL} (the local server's {@code test} database as {@code
 * postgres} unless set). Each store is two fresh schemas, {@code bench_<random>}: one for the
 * executor, one for the raw side, both created by the executor's own migrations, so the raw table
 * has exactly the same columns, indexes (the five on the event table), defaults and collations.
 */
final class PostgresBackend implements Backend {
    /** The server, from the environment. */
    static final String URL = Optional.ofNullable(System.getenv("EVENTO_POSTGRES_URL"))
            .orElse("jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

    /**
     * The most rows one raw insert binds: 9 parameters a row stay far below the protocol's 32,767
     * parameters; the same limit as the executor's.
     */
    private static final int MAX_ROWS_PER_INSERT = 1000;

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public String version() {
        try (Connection c = DriverManager.getConnection(URL);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT version()")) {
            rs.next();
            // "PostgreSQL 15.13 (Debian 15.13-0+deb12u1) on x86_64-pc-linux-gnu, compiled by …"
            String[] words = rs.getString(1).split(" ");
            return words.length >= 2 ? words[0] + " " + words[1] : words[0];
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "PostgreSQL at " + RawSupport.redact(URL) + " is unavailable: " + e.getMessage(), e);
        }
    }

    @Override
    public Store open(int writers) {
        String schema = RawSupport.freshName("bench_");
        String rawSchema = RawSupport.freshName("bench_raw_");
        PostgresExecutor executor = null;
        HikariDataSource rawPool = null;
        try {
            executor = PostgresExecutor.builder()
                    .jdbcUrl(URL)
                    .schema(schema)
                    .maximumPoolSize(writers)
                    .open();
            // The raw side's tables, made by the same migrations; the executor is only a DDL tool here.
            PostgresExecutor.builder()
                    .jdbcUrl(URL)
                    .schema(rawSchema)
                    .maximumPoolSize(1)
                    .open()
                    .close();
            rawPool = rawPool(writers, rawSchema);
            return new BenchStore(
                    executor,
                    new PostgresRaw(rawPool, rawSchema),
                    () -> PostgresExecutor.builder()
                            .jdbcUrl(URL)
                            .schema(schema)
                            .maximumPoolSize(writers)
                            .open(),
                    () -> dropSchemas(schema, rawSchema));
        } catch (RuntimeException e) {
            throw BenchStore.abandon(e, executor, rawPool, () -> dropSchemas(schema, rawSchema));
        }
    }

    /**
     * The raw side's pool: the settings of the executor's own pool (PostgresExecutor.createPool):
     * {@code writers} connections (HikariCP keeps them all open, as minimumIdle defaults to the
     * maximum), the 30-second connection timeout, auto-commit, read committed.
     */
    private static HikariDataSource rawPool(int writers, String schema) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("bench-raw-postgres-" + schema);
        config.setJdbcUrl(URL);
        config.setMaximumPoolSize(writers);
        config.setConnectionTimeout(Duration.ofSeconds(30).toMillis());
        config.setAutoCommit(true);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        return new HikariDataSource(config);
    }

    private static void dropSchemas(String... schemas) {
        try (Connection c = DriverManager.getConnection(URL);
                Statement s = c.createStatement()) {
            for (String schema : schemas) {
                s.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("dropping the benchmark schemas failed: " + e.getMessage(), e);
        }
    }

    /**
     * Raw JDBC on the raw schema's {@code evento_event}.
     *
     * <p>An append is a single multi-row {@code INSERT … VALUES (…), (…)} in auto-commit mode,
     * which is pgjdbc's best way to write several rows: one statement, one round trip, one
     * transaction. (A JDBC batch of single-row inserts is one round trip too, but the server then
     * parses, plans and executes one statement per row; {@code reWriteBatchedInserts} turns it into
     * this very multi-row statement.) It is the executor's statement for a new aggregate, with
     * none of the executor's check that an existing aggregate is at the expected version: the
     * unique key alone refuses a conflicting version.
     *
     * <p>The scan is a keyset scan on the primary key, {@code position}. The executor pages by
     * {@code (txid, position)} below the transaction horizon instead, because positions are taken
     * before commit and may commit out of order; that ordering is the library's cost, so the raw
     * side does not select {@code txid}, and selects every other column the executor's page reads.
     */
    static final class PostgresRaw extends PooledRaw {
        private static final String COLUMNS = "position, id, aggregator_type, aggregator_id, version, name,"
                + " routing_key, data, metadata, timestamp_micros";

        PostgresRaw(HikariDataSource pool, String schema) {
            super(
                    pool,
                    "INSERT INTO \"" + schema + "\".evento_event (id, aggregator_type, aggregator_id, version, name,"
                            + " routing_key, data, metadata, timestamp_micros) VALUES ",
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    MAX_ROWS_PER_INSERT,
                    "SELECT " + COLUMNS + " FROM \"" + schema + "\".evento_event"
                            + " WHERE position > ? ORDER BY position LIMIT ?",
                    "SELECT " + COLUMNS + " FROM \"" + schema + "\".evento_event"
                            + " WHERE aggregator_type = ? AND aggregator_id = ? ORDER BY version");
        }

        @Override
        int bindRow(
                PreparedStatement insert,
                int p,
                String eventId,
                String aggregateId,
                int version,
                int commitEnd,
                byte[] payload,
                byte[] metadata,
                long timestampMicros)
                throws SQLException {
            insert.setString(++p, eventId);
            insert.setString(++p, RawSupport.AGGREGATE_TYPE);
            insert.setString(++p, aggregateId);
            insert.setInt(++p, version);
            insert.setString(++p, RawSupport.EVENT_NAME);
            insert.setString(++p, null);
            insert.setBytes(++p, payload);
            insert.setBytes(++p, metadata);
            insert.setLong(++p, timestampMicros);
            return p;
        }

        @Override
        long readRow(ResultSet rs, Consumer<byte[]> each) throws SQLException {
            long position = rs.getLong(1);
            // Decoded like the executor's rows (EventSql.event): strings, then bytes.
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
            each.accept(data);
            return position;
        }
    }
}
