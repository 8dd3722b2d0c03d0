package io.evento.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.evento.StoreException;
import io.evento.internal.sql.Transactions;
import io.evento.spi.JdbcExecutor.Work;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * Where every call of the executor gets its connection, and how it gives it back.
 *
 * <p>The store's statements are written for auto-commit mode at READ COMMITTED: one statement is
 * one transaction, and a unique-key race surfaces as {@code 23505}, which the event log turns into
 * a {@code ConcurrencyException} (at a stricter level it would be {@code 40001}). The executor's
 * own pool hands out connections so configured; asking a connection for its settings costs round
 * trips in pgjdbc, so only the connections of a user's data source are asked, and switched for the
 * call if they differ.
 *
 * <p>Every database failure leaves here as a {@link StoreException} translated by {@link
 * PostgresErrors}, except after {@link #close()}, when it is the executor being closed that
 * callers need to hear of. The wake-up threads of {@link CommitNotifications} get their
 * connections from here too ({@link #forNotifications}), but apart from the pool.
 */
final class PostgresConnections {
    private static final AtomicInteger POOLS = new AtomicInteger();

    private final DataSource dataSource;
    private final HikariDataSource ownedPool;
    private final String schema;
    private volatile boolean closed;

    /**
     * @param dataSource where connections come from
     * @param ownedPool the pool created from a JDBC URL, the same as {@code dataSource}; {@code
     *     null} for a user's data source
     * @param schema the store's schema, for messages
     */
    PostgresConnections(DataSource dataSource, HikariDataSource ownedPool, String schema) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.schema = schema;
    }

    /**
     * The pool of a store opened from a JDBC URL: auto-commit READ COMMITTED connections, which is
     * what lets {@link #run} use them without asking.
     */
    static HikariDataSource createPool(String jdbcUrl, String schema, int size, Duration connectionTimeout) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("evento-postgres-" + POOLS.incrementAndGet() + "-" + schema);
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(size);
        config.setConnectionTimeout(connectionTimeout.toMillis());
        config.setAutoCommit(true);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            String url = PostgresExecutor.Builder.redact(jdbcUrl);
            // HikariCP reports a failed first connection as its PoolInitializationException.
            for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
                if (t instanceof SQLException q) {
                    throw PostgresErrors.failure("connecting to " + url, q);
                }
            }
            throw new StoreException("connecting to " + url + " failed: " + e.getMessage(), e, false);
        }
    }

    /**
     * Runs work on a pooled connection in auto-commit mode, translating database failures into
     * {@link StoreException}s.
     */
    <T> T run(String operation, Work<T> work) {
        ensureOpen();
        try (Connection connection = dataSource.getConnection()) {
            // The executor's own pool is configured right; asking a connection for its isolation
            // level costs a round trip in pgjdbc, so only a user's data source is checked.
            if (ownedPool != null) {
                return work.run(connection);
            }
            boolean autoCommit = connection.getAutoCommit();
            int isolation = connection.getTransactionIsolation();
            if (autoCommit && isolation == Connection.TRANSACTION_READ_COMMITTED) {
                return work.run(connection);
            }
            // A user's data source may hand out connections with auto-commit off, or at a stricter
            // isolation level, where a unique-key race surfaces as 40001 instead of 23505 and a
            // conflict would no longer be a ConcurrencyException.
            connection.setAutoCommit(true);
            connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            try {
                return work.run(connection);
            } finally {
                connection.setTransactionIsolation(isolation);
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw failure(operation, e);
        }
    }

    /** Runs work on the caller's transaction, translating database failures as {@link #run} does. */
    <T> T onTransaction(String operation, Connection transaction, Work<T> work) {
        ensureOpen();
        try {
            return work.run(transaction);
        } catch (SQLException e) {
            throw PostgresErrors.failure(operation, e);
        }
    }

    /**
     * The application's work in a transaction at READ COMMITTED on a pooled connection, whatever
     * the connection's own settings; they are restored before it is given back.
     */
    <T> T inTransaction(Work<T> work) {
        Objects.requireNonNull(work, "work");
        ensureOpen();
        try (Connection connection = dataSource.getConnection()) {
            // The executor's own pool hands out auto-commit READ COMMITTED connections; asking a
            // connection for its settings costs round trips in pgjdbc, so only a user's is asked.
            boolean autoCommit = ownedPool != null || connection.getAutoCommit();
            int isolation =
                    ownedPool != null ? Connection.TRANSACTION_READ_COMMITTED : connection.getTransactionIsolation();
            return Transactions.inTransaction(connection, autoCommit, isolation, work);
        } catch (SQLException e) {
            throw failure("running a transaction", e);
        }
    }

    private StoreException failure(String operation, SQLException e) {
        if (closed) {
            return new StoreException("the PostgreSQL executor is closed", e, false);
        }
        return PostgresErrors.failure(operation, e);
    }

    /** Refuses a call once the executor is closed. */
    void ensureOpen() {
        if (closed) {
            throw new StoreException("the PostgreSQL executor is closed (schema " + schema + ")", null, false);
        }
    }

    /** Whether {@link #close()} was called. */
    boolean isClosed() {
        return closed;
    }

    /**
     * Refuses every later call; the pool is closed apart, by {@link #closePool()}, so that the
     * wake-up threads can be stopped in between.
     */
    void close() {
        closed = true;
    }

    /** Closes the pool created from a JDBC URL, if any; a data source given by the user stays open. */
    void closePool() {
        Transactions.closeQuietly(ownedPool, "the connection pool");
    }

    /**
     * The connections of the wake-up threads: opened from the JDBC URL if the store was, else
     * borrowed from the user's data source.
     */
    CommitNotifications.Connections forNotifications(String jdbcUrl) {
        return jdbcUrl != null ? new DriverConnections(jdbcUrl) : new BorrowedConnections(dataSource);
    }

    /**
     * Connections of the notification threads for a store opened from a JDBC URL: opened apart from
     * the pool, so that the listener's long wait never takes a connection from writers. The URL's
     * own settings win over the defaults set here.
     */
    private static final class DriverConnections implements CommitNotifications.Connections {
        private final String jdbcUrl;

        DriverConnections(String jdbcUrl) {
            this.jdbcUrl = jdbcUrl;
        }

        @Override
        public CommitNotifications.Session open() throws SQLException {
            Properties defaults = new Properties();
            // Shows what the connections are in pg_stat_activity.
            defaults.setProperty("ApplicationName", "evento-postgres notifications");
            // A server that stops answering must not hold a thread for ever: the notifier would stop
            // announcing commits, and closing the executor would wait for it.
            defaults.setProperty("connectTimeout", "10");
            defaults.setProperty("socketTimeout", "60");
            defaults.setProperty("tcpKeepAlive", "true");
            return new CommitNotifications.Session(DriverManager.getConnection(jdbcUrl, defaults), false);
        }

        @Override
        public boolean keepNotifierConnection() {
            return true;
        }
    }

    /**
     * Connections of the notification threads for a store opened from an application's data
     * source: the listener holds one for as long as it listens; the notifier borrows one for each
     * notification.
     */
    private static final class BorrowedConnections implements CommitNotifications.Connections {
        private final DataSource dataSource;

        BorrowedConnections(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        @Override
        public CommitNotifications.Session open() throws SQLException {
            Connection connection = dataSource.getConnection();
            try {
                boolean autoCommit = connection.getAutoCommit();
                if (!autoCommit) {
                    connection.setAutoCommit(true);
                }
                return new CommitNotifications.Session(connection, !autoCommit);
            } catch (SQLException | RuntimeException e) {
                try {
                    connection.close();
                } catch (SQLException closing) {
                    e.addSuppressed(closing);
                }
                throw e;
            }
        }

        @Override
        public boolean keepNotifierConnection() {
            return false;
        }
    }
}
