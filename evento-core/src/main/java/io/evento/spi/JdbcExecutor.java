package io.evento.spi;

import io.evento.StoreException;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * An executor backed by a JDBC database that lets other work share its transactions: a read model
 * written in the same transaction as a subscription's checkpoint is updated exactly once.
 *
 * <p>The transactional variants of the roles are {@link JdbcSubscriberStore#acknowledge(Connection,
 * Lease, String)} and those of {@link JdbcDeadLetterStore}; they take the connection passed to the
 * work of {@link #inTransaction}.
 *
 * <p>Implemented by the SQLite, PostgreSQL and MySQL executors.
 */
public interface JdbcExecutor extends Executor, JdbcSubscriberStore, JdbcDeadLetterStore {

    /**
     * Work done on a connection inside a transaction.
     *
     * @param <T> the result type
     */
    @FunctionalInterface
    interface Work<T> {
        /**
         * Does the work. Do not commit, roll back or close the connection.
         *
         * @param connection the transaction's connection
         * @return the result
         * @throws SQLException on a database error; the transaction is rolled back
         */
        T run(Connection connection) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction on one of this executor's connections, at the executor's
     * isolation level (READ COMMITTED on the server databases): it commits if the work returns and
     * rolls back if it throws.
     *
     * <p>On SQLite the transaction holds the single write lock (BEGIN IMMEDIATE): keep it short,
     * every other write waits for it.
     *
     * @param work the work
     * @param <T> the result type
     * @return what the work returned
     * @throws StoreException if the work threw an {@link SQLException} or the commit failed; a
     *     runtime exception thrown by the work is rethrown unchanged after the rollback
     */
    <T> T inTransaction(Work<T> work);
}
