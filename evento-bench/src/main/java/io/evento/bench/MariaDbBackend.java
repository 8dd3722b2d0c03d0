package io.evento.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.evento.mysql.MysqlExecutor;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MariaDB (or MySQL), at {@code EVENTO_MYSQL_URL} (the local server's {@code test} database as
 * {@code root} unless set). Each store is two fresh databases, {@code bench_<random>}: one for the
 * executor, one for the raw side, both created by the executor's own migrations, so the raw table
 * has exactly the same columns and indexes.
 *
 * <p>The comparison is deliberately uneven (DESIGN.md §4): the executor's events become visible
 * once its sequencer's horizon passes them, in a skip-free order; the raw rows never wait for one. The raw side is what an
 * application inserting into an auto-increment table gets, and it is not skip-free: the target
 * (0.7 of it) is the price allowed for the order.
 */
final class MariaDbBackend implements Backend {
    /** The server, from the environment. */
    static final String URL = Optional.ofNullable(System.getenv("EVENTO_MYSQL_URL"))
            .orElse("jdbc:mariadb://127.0.0.1:3306/test?user=root");

    /** Splits a URL into what precedes the database, the database, and the parameters. */
    private static final Pattern URL_PARTS = Pattern.compile("^(jdbc:[a-z]+://[^/?]+/)([^?]*)(\\?.*)?$");

    /**
     * The most rows one raw insert binds: the executor's own limit (EventSql.MAX_ROWS_PER_INSERT),
     * which keeps a statement well inside the server's packet size for the benchmark's payloads.
     */
    private static final int MAX_ROWS_PER_INSERT = 500;

    @Override
    public String name() {
        return "mariadb";
    }

    @Override
    public String version() {
        try (Connection c = DriverManager.getConnection(URL);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT version()")) {
            rs.next();
            // "10.11.6-MariaDB-0+deb12u1", or "8.0.36" for MySQL.
            String version = rs.getString(1);
            int dash = version.indexOf('-');
            String number = dash < 0 ? version : version.substring(0, dash);
            return (version.contains("MariaDB") ? "MariaDB " : "MySQL ") + number;
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "MariaDB at " + RawSupport.redact(URL) + " is unavailable: " + e.getMessage(), e);
        }
    }

    @Override
    public Store open(int writers) {
        String database = RawSupport.freshName("bench_");
        String rawDatabase = RawSupport.freshName("bench_raw_");
        MysqlExecutor executor = null;
        HikariDataSource rawPool = null;
        try {
            onServer("CREATE DATABASE " + database, "CREATE DATABASE " + rawDatabase);
            String url = url(database);
            String rawUrl = url(rawDatabase);
            executor = MysqlExecutor.builder()
                    .jdbcUrl(url)
                    .maximumPoolSize(writers)
                    .open();
            // The raw side's tables, made by the same migrations; the executor is only a DDL tool here.
            MysqlExecutor.builder().jdbcUrl(rawUrl).maximumPoolSize(1).open().close();
            rawPool = rawPool(writers, rawUrl, rawDatabase);
            return new BenchStore(
                    executor,
                    new MariaDbRaw(rawPool),
                    () -> MysqlExecutor.builder()
                            .jdbcUrl(url)
                            .maximumPoolSize(writers)
                            .open(),
                    () -> dropDatabases(database, rawDatabase));
        } catch (RuntimeException e) {
            throw BenchStore.abandon(e, executor, rawPool, () -> dropDatabases(database, rawDatabase));
        }
    }

    /** The configured URL with another database (as evento-mysql's TestDatabases does). */
    static String url(String database) {
        Matcher m = URL_PARTS.matcher(URL);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "cannot find the database in EVENTO_MYSQL_URL " + RawSupport.redact(URL));
        }
        return m.group(1) + database + (m.group(3) == null ? "" : m.group(3));
    }

    /**
     * The raw side's pool: the settings of the executor's own pool (MysqlExecutor.pool): {@code
     * writers} connections at most, two kept idle, the 30-second connection timeout, auto-commit,
     * read committed.
     */
    private static HikariDataSource rawPool(int writers, String url, String database) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("bench-raw-mariadb-" + database);
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(writers);
        config.setMinimumIdle(Math.min(2, writers));
        config.setConnectionTimeout(Duration.ofSeconds(30).toMillis());
        config.setAutoCommit(true);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        return new HikariDataSource(config);
    }

    private static void dropDatabases(String... databases) {
        String[] drops = new String[databases.length];
        for (int i = 0; i < databases.length; i++) {
            drops[i] = "DROP DATABASE IF EXISTS " + databases[i];
        }
        onServer(drops);
    }

    private static void onServer(String... statements) {
        try (Connection c = DriverManager.getConnection(URL);
                Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("MariaDB at " + RawSupport.redact(URL) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Raw JDBC on the raw database's {@code evento_event}.
     *
     * <p>An append is the executor writer's very {@code INSERT} (EventSql.insert): the same ten
     * columns, {@code commit_end} included, {@code position} from AUTO_INCREMENT, one multi-row
     * statement in auto-commit mode. Nothing ever raises a horizon over the raw rows: that is the
     * sequencer's work, which the raw side does not do. A multi-row statement
     * is the best way with MariaDB Connector/J 3 on the URL both sides share: the driver has no
     * {@code rewriteBatchedStatements} any more, and without server-side prepared statements (off by
     * default) a JDBC batch is sent as one statement per row, pipelined but parsed and executed one
     * by one, while one {@code INSERT … VALUES (…), (…)} is one statement, one round trip, one
     * transaction. The executor skips its routing-key lookup when it knows the aggregate (one it
     * wrote itself); the raw side never does one.
     *
     * <p>The scan is a keyset scan on {@code position}, the primary key, without the horizon: the
     * auto-increment order a raw tailer has, which is not skip-free. It selects the same columns as
     * the executor's page and decodes them the same way (text columns are VARBINARY, read as bytes
     * and decoded as UTF-8).
     */
    static final class MariaDbRaw extends PooledRaw {
        private static final String COLUMNS =
                "id, aggregator_type, aggregator_id, version, name, routing_key, data, metadata, timestamp";

        MariaDbRaw(HikariDataSource pool) {
            super(
                    pool,
                    "INSERT INTO evento_event (id, aggregator_type, aggregator_id, version, commit_end,"
                            + " name, routing_key, data, metadata, timestamp) VALUES ",
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    MAX_ROWS_PER_INSERT,
                    "SELECT position, " + COLUMNS + " FROM evento_event WHERE position > ? ORDER BY position LIMIT ?",
                    "SELECT position, " + COLUMNS + " FROM evento_event"
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
            insert.setInt(++p, commitEnd);
            insert.setString(++p, RawSupport.EVENT_NAME);
            insert.setNull(++p, Types.VARBINARY);
            insert.setBytes(++p, payload);
            insert.setBytes(++p, metadata);
            insert.setLong(++p, timestampMicros);
            return p;
        }

        @Override
        long readRow(ResultSet rs, Consumer<byte[]> each) throws SQLException {
            long key = rs.getLong(1);
            // Decoded like the executor's rows (EventSql.event): VARBINARY text as UTF-8 bytes.
            String id = text(rs, 2);
            String type = text(rs, 3);
            String aggregateId = text(rs, 4);
            int version = rs.getInt(5);
            String name = text(rs, 6);
            String routingKey = text(rs, 7);
            byte[] data = rs.getBytes(8);
            byte[] metadata = rs.getBytes(9);
            long micros = rs.getLong(10);
            RawSupport.keep(id, type, aggregateId, version, name, routingKey, metadata, micros);
            each.accept(data);
            return key;
        }

        private static String text(ResultSet rs, int column) throws SQLException {
            byte[] value = rs.getBytes(column);
            return value == null ? null : new String(value, StandardCharsets.UTF_8);
        }
    }
}
