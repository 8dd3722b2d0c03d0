package io.evento.postgres;

import io.evento.spi.StoredEvent;
import io.evento.tck.fixtures.TestSql;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The PostgreSQL server the tests run against, and the schemas they create on it. Every store a
 * test opens lives in a schema of its own, so tests never see each other's events; a test class
 * drops its schemas when it ends.
 */
final class TestDatabase {
    /** The server: {@code EVENTO_POSTGRES_URL}, or the local one with trust authentication. */
    static final String URL =
            System.getenv().getOrDefault("EVENTO_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

    private final String prefix;
    private final List<String> created = new ArrayList<>();

    /** Schemas named {@code <prefix>_<random>}. */
    TestDatabase(String prefix) {
        this.prefix = prefix;
    }

    /** A new schema name, not yet created; {@link #dropSchemas()} drops it. */
    synchronized String newSchema() {
        byte[] random = new byte[6];
        ThreadLocalRandom.current().nextBytes(random);
        String schema = prefix + "_" + HexFormat.of().formatHex(random);
        created.add(schema);
        return schema;
    }

    /** Drops {@code schema} with the others: for a test that names its schema itself. */
    synchronized void track(String schema) {
        created.add(schema);
    }

    /** An executor over a new schema with a small pool. */
    PostgresExecutor open() {
        return open(newSchema());
    }

    /** An executor over {@code schema} with a small pool. */
    static PostgresExecutor open(String schema) {
        return PostgresExecutor.builder()
                .jdbcUrl(URL)
                .schema(schema)
                .maximumPoolSize(4)
                .open();
    }

    /** Drops every schema handed out, with everything in it. */
    synchronized void dropSchemas() throws SQLException {
        try (Connection c = connect();
                Statement statement = c.createStatement()) {
            for (String schema : created) {
                statement.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
            }
        }
        created.clear();
    }

    /** A plain connection to the server, in auto-commit mode. */
    static Connection connect() throws SQLException {
        return DriverManager.getConnection(URL);
    }

    /** Runs statements on a plain connection. */
    static void execute(String... sql) throws SQLException {
        TestSql.execute(TestDatabase::connect, sql);
    }

    /** Events of aggregate {@code id}, versions {@code from} to {@code to}, with fixed ids and contents. */
    static List<StoredEvent> events(String id, int from, int to) {
        List<StoredEvent> events = new ArrayList<>();
        for (int v = from; v <= to; v++) {
            events.add(new StoredEvent(
                    id + "-v" + v,
                    "tck/Account",
                    id,
                    v,
                    v == 1 ? "Opened" : "Deposited",
                    Optional.empty(),
                    ("{\"v\":" + v + "}").getBytes(StandardCharsets.UTF_8),
                    "{}".getBytes(StandardCharsets.UTF_8),
                    1_700_000_000_000_000L + v));
        }
        return events;
    }
}
