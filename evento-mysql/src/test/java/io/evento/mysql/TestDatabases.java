package io.evento.mysql;

import io.evento.tck.fixtures.TestSql;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The test server: the URL comes from {@code EVENTO_MYSQL_URL} (default: the local MariaDB as
 * root). Every test store lives in a database of its own, created here and dropped by {@link
 * #dropAll()}.
 */
final class TestDatabases {
    static final String BASE_URL = Optional.ofNullable(System.getenv("EVENTO_MYSQL_URL"))
            .orElse("jdbc:mariadb://127.0.0.1:3306/test?user=root");

    private static final Pattern URL = Pattern.compile("^(jdbc:[a-z]+://[^/?]+/)([^?]*)(\\?.*)?$");
    private static final ConcurrentLinkedQueue<String> CREATED = new ConcurrentLinkedQueue<>();

    private TestDatabases() {}

    private static final int PREPARED_AHEAD = 3;
    private static final LinkedBlockingQueue<String> PREPARED = new LinkedBlockingQueue<>();
    private static final AtomicInteger PREPARING = new AtomicInteger();

    /**
     * A new database with the store's schema already migrated, and its URL. Databases are prepared a
     * few ahead on a background thread, so that suites opening a fresh store per test do not wait
     * for the DDL each time. Each is handed out once.
     */
    static String createMigrated() {
        while (PREPARING.get() + PREPARED.size() < PREPARED_AHEAD) {
            PREPARING.incrementAndGet();
            Thread.ofVirtual().start(() -> {
                try {
                    String url = create();
                    try (Connection c = connect(url)) {
                        MysqlMigrations.migrate(c, Clock.systemUTC(), Duration.ofSeconds(60));
                    }
                    PREPARED.add(url);
                } catch (SQLException | RuntimeException e) {
                    PREPARED.add("failed: " + e);
                } finally {
                    PREPARING.decrementAndGet();
                }
            });
        }
        try {
            String url = PREPARED.take();
            if (url.startsWith("failed: ")) {
                throw new IllegalStateException("preparing a test database " + url);
            }
            return url;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Creates an empty database and returns the URL naming it. */
    static String create() {
        String name = "evento_tck_" + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
        onServer("CREATE DATABASE " + name);
        CREATED.add(name);
        return url(name);
    }

    /** The base URL with another database. */
    static String url(String database) {
        Matcher m = URL.matcher(BASE_URL);
        if (!m.matches()) {
            throw new IllegalArgumentException("cannot find the database in EVENTO_MYSQL_URL " + BASE_URL);
        }
        return m.group(1) + database + (m.group(3) == null ? "" : m.group(3));
    }

    /** The database a URL names. */
    static String database(String url) {
        Matcher m = URL.matcher(url);
        if (!m.matches()) {
            throw new IllegalArgumentException(url);
        }
        return m.group(2);
    }

    /** Drops every database created so far, a few at a time (prepared ones not handed out yet too). */
    static void dropAll() {
        while (PREPARING.get() > 0) {
            Thread.onSpinWait();
        }
        PREPARED.clear();
        List<Thread> droppers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            droppers.add(Thread.ofVirtual().start(() -> {
                for (String name; (name = CREATED.poll()) != null; ) {
                    onServer("DROP DATABASE IF EXISTS " + name);
                }
            }));
        }
        for (Thread t : droppers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A plain connection to a database, outside any executor. */
    static Connection connect(String url) throws SQLException {
        return DriverManager.getConnection(url);
    }

    /** Runs statements on the base database. */
    static void onServer(String... sql) {
        try (Connection c = connect(BASE_URL);
                Statement s = c.createStatement()) {
            for (String statement : sql) {
                s.execute(statement);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs statements on a database. */
    static void execute(String url, String... sql) throws SQLException {
        TestSql.execute(() -> connect(url), sql);
    }

    /** The first column of every row of a query. */
    static List<Object> column(String url, String sql) throws SQLException {
        return TestSql.column(() -> connect(url), sql);
    }

    /** The single number of a query, such as a count. */
    static long count(String url, String sql) throws SQLException {
        List<Object> values = column(url, sql);
        return ((Number) values.getFirst()).longValue();
    }
}
