package io.evento.internal.sql;

import io.evento.spi.JdbcExecutor.Work;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Transactions on a pooled JDBC connection, and the quiet cleanup around them, done the same way
 * by the server executors (PostgreSQL, MySQL).
 *
 * <p>Two rules shape them. The outcome of the work is what the caller must hear of: a rollback
 * that fails after the work failed is recorded on that failure ({@link
 * Throwable#addSuppressed}), never thrown in its place. And the connection goes back to its pool
 * as it was handed out (auto-commit on, the pool's isolation level), quietly: a connection that
 * fails to be reset is broken, the pool discards it, and that must not hide the transaction's
 * outcome either.
 *
 * <p>Work is a {@link Work}, the interface of {@link io.evento.spi.JdbcExecutor#inTransaction}; SQL failures
 * come out as {@link SQLException}s, for the caller to translate with its dialect's SQLSTATE
 * rules. Nothing here allocates: a caller on a hot path passes a work that captures nothing, or
 * keeps the steps inline with {@link #rollbackQuietly} and {@link #restoreAutoCommit}.
 *
 * <p>Internal: shared by the SQL executors, not part of the API; it may change without notice.
 *
 * @see io.evento.spi.JdbcExecutor
 */
public final class Transactions {
    private static final Logger LOG = LoggerFactory.getLogger(Transactions.class);

    private Transactions() {}

    /**
     * Runs {@code work} in one transaction at READ COMMITTED on a connection the caller borrowed:
     * switches the connection to READ COMMITTED (if it is not) and auto-commit off (if it is on),
     * commits if the work returns, rolls back if it or the commit throws, and puts both settings
     * back as they were.
     *
     * <p>The caller says what the settings are, so that a connection of the executor's own pool,
     * known to be in auto-commit mode at READ COMMITTED, need not be asked (a round trip in some
     * drivers).
     *
     * @param connection the connection, outside any transaction
     * @param autoCommit whether it is in auto-commit mode
     * @param isolation its isolation level, a {@code Connection.TRANSACTION_*} constant
     * @param work the work
     * @param <T> the result type
     * @return what the work returned
     * @throws SQLException if the work, the commit or switching the settings failed; a runtime
     *     exception or error of the work is rethrown unchanged after the rollback
     */
    public static <T> T inTransaction(Connection connection, boolean autoCommit, int isolation, Work<T> work)
            throws SQLException {
        try {
            // The isolation level can only change outside a transaction: before auto-commit goes off.
            if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
            if (autoCommit) {
                connection.setAutoCommit(false);
            }
            return commitOrRollBack(connection, work);
        } finally {
            restore(connection, autoCommit, isolation);
        }
    }

    /**
     * Runs {@code work} in a transaction of the executor's own on a connection in auto-commit mode
     * (a write too large for one statement, a lease taken under a row lock): auto-commit off,
     * commit if the work returns, roll back if it or the commit throws, auto-commit back on.
     *
     * <p>The work may roll back itself and return, to give up without a failure; the commit that
     * follows then has nothing to commit.
     *
     * @param connection the connection, in auto-commit mode
     * @param work the work
     * @param <T> the result type
     * @return what the work returned
     * @throws SQLException if the work or the commit failed; a runtime exception or error of the
     *     work is rethrown unchanged after the rollback
     */
    public static <T> T inOwnTransaction(Connection connection, Work<T> work) throws SQLException {
        connection.setAutoCommit(false);
        try {
            return commitOrRollBack(connection, work);
        } finally {
            restoreAutoCommit(connection);
        }
    }

    private static <T> T commitOrRollBack(Connection connection, Work<T> work) throws SQLException {
        try {
            T result = work.run(connection);
            connection.commit();
            return result;
        } catch (SQLException | RuntimeException | Error e) {
            rollbackQuietly(connection, e);
            throw e;
        }
    }

    /**
     * Rolls back after {@code failure}; a rollback that fails too is recorded on it rather than
     * hiding it (the failure may have ended the transaction already, or broken the connection).
     *
     * @param connection the connection, auto-commit off
     * @param failure what made the transaction fail
     */
    public static void rollbackQuietly(Connection connection, Throwable failure) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * Puts a connection back in auto-commit mode after a transaction of the executor's own. A
     * failure means the connection broke: it is logged, not thrown, so that it does not hide the
     * outcome of the transaction, and the pool discards the connection anyway.
     *
     * @param connection the connection
     */
    public static void restoreAutoCommit(Connection connection) {
        try {
            connection.setAutoCommit(true);
        } catch (SQLException e) {
            LOG.debug("Restoring auto-commit failed", e);
        }
    }

    /**
     * Puts back the settings {@link #inTransaction} changed: auto-commit on if it was, then the
     * isolation level if it was not READ COMMITTED. Quiet like {@link #restoreAutoCommit}.
     *
     * @param connection the connection
     * @param autoCommit whether it was in auto-commit mode
     * @param isolation its isolation level before
     */
    public static void restore(Connection connection, boolean autoCommit, int isolation) {
        try {
            // Back in auto-commit first: the isolation level cannot change inside a transaction.
            if (autoCommit) {
                connection.setAutoCommit(true);
            }
            if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                connection.setTransactionIsolation(isolation);
            }
        } catch (SQLException e) {
            LOG.debug("Restoring a connection after a transaction failed", e);
        }
    }

    /**
     * Closes a resource the executor owns (its connection pool) on a path that already has an
     * outcome to report (closing the executor, or a failed open): a failure is logged, not thrown.
     * Does nothing for {@code null}.
     *
     * @param resource the resource, or {@code null}
     * @param what what it is, for the log: {@code "the connection pool"}
     */
    public static void closeQuietly(AutoCloseable resource, String what) {
        if (resource == null) {
            return;
        }
        try {
            resource.close();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn("Closing {} failed", what, e);
        }
    }
}
