package io.evento.sqlite;

import io.evento.StoreException;
import io.evento.spi.JdbcExecutor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer connection.
 *
 * <p>SQLite allows one writer per database file at a time; a second connection writing at once only
 * waits (busy timeout) or fails. So every write of the executor goes through this one connection,
 * serialized by a {@link ReentrantLock} (not {@code synchronized}: the lock is held across native
 * calls, and virtual threads waiting on it must not pin their carriers). Each write is its own
 * {@code BEGIN IMMEDIATE} transaction: the database's write lock is taken up front, so a check
 * made inside the transaction (the aggregate's version, a lease's owner) still holds when it
 * commits, even against other processes writing to the same file. Any failure rolls back, so no
 * partial write is ever visible.
 *
 * <p>Positions are the rowids of the event table. They are assigned by the one writer in commit
 * order, so a reader can never see position {@code n + 1} committed while {@code n} is still in
 * flight: paging by position cannot skip an event.
 *
 * <h2>Transactions of the application</h2>
 *
 * <p>{@link #inTransaction} lends the connection to application work for one transaction, under the
 * same lock. A write of the executor called from inside that work, on the same thread, would
 * either nest a {@code BEGIN} (which SQLite refuses) or, if it took another connection, wait
 * forever for the database lock its own thread holds; so every write entry point fails fast with
 * an {@link IllegalStateException} while the calling thread holds the lock. Writes meant to join the
 * transaction go through {@link #joinTransaction}.
 */
final class Writer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Writer.class);

    private final ReentrantLock lock = new ReentrantLock();
    private final Statements db;
    private final String closedMessage;
    private boolean closed;

    /** The connection lent to the running {@link #inTransaction} work; guarded by {@link #lock}. */
    private TransactionConnection lent;

    Writer(Statements db, String closedMessage) {
        this.db = db;
        this.closedMessage = closedMessage;
    }

    /**
     * Runs {@code work} in one {@code BEGIN IMMEDIATE} transaction; commits, or rolls back on any
     * failure.
     *
     * @throws IllegalStateException if called from inside {@link #inTransaction} work
     */
    <T> T transaction(String operation, SqlWork<T> work) {
        ensureNotInTransaction(operation);
        lock.lock();
        try {
            if (closed) {
                throw new StoreException(closedMessage, null, false);
            }
            PreparedStatement rollback;
            try {
                rollback = db.prepare("ROLLBACK");
                db.prepare("BEGIN IMMEDIATE").execute();
            } catch (SQLException e) {
                throw SqliteErrors.failure(operation, e);
            }
            boolean committed = false;
            try {
                T result = work.run(db);
                db.prepare("COMMIT").execute();
                committed = true;
                return result;
            } catch (SQLException e) {
                throw SqliteErrors.failure(operation, e);
            } finally {
                if (!committed) {
                    rollbackQuietly(rollback);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs application work in one {@code BEGIN IMMEDIATE} transaction on the writer connection,
     * lent to it through a {@link TransactionConnection} that refuses to end the transaction or
     * close the connection and stops working once the work returns.
     */
    <T> T inTransaction(String operation, JdbcExecutor.Work<T> work) {
        return transaction(operation, statements -> {
            TransactionConnection connection = new TransactionConnection(statements.connection());
            lent = connection;
            try {
                return work.run(connection.proxy());
            } finally {
                lent = null;
                connection.end();
            }
        });
    }

    /**
     * Runs {@code work} inside the transaction of the {@link #inTransaction} work running on this
     * thread, which must have passed {@code transaction}. Nothing is committed or rolled back here:
     * that is up to the work's outcome.
     *
     * @throws IllegalStateException if no {@link #inTransaction} work runs on this thread
     * @throws IllegalArgumentException if {@code transaction} is not the connection lent to it
     */
    <T> T joinTransaction(Connection transaction, String operation, SqlWork<T> work) {
        if (!lock.isHeldByCurrentThread() || lent == null) {
            throw new IllegalStateException(operation
                    + " with a connection must be called from the work of inTransaction on the same thread,"
                    + " with the connection passed to that work");
        }
        if (!lent.isFor(transaction)) {
            throw new IllegalArgumentException(
                    operation + " was given a connection that is not the one passed to the work of inTransaction");
        }
        try {
            return work.run(db);
        } catch (SQLException e) {
            throw SqliteErrors.failure(operation, e);
        }
    }

    /**
     * Refuses an operation that needs the writer while the calling thread already holds it (it runs
     * {@link #inTransaction} work), instead of deadlocking or nesting a transaction.
     *
     * @throws IllegalStateException if this thread runs {@link #inTransaction} work
     */
    void ensureNotInTransaction(String operation) {
        if (lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("cannot do '" + operation + "' inside inTransaction: the transaction"
                    + " holds the store's single write lock; do not append events or call the executor's other"
                    + " writing methods inside inTransaction, use acknowledge(Connection, ...) and"
                    + " park(Connection, ...) to write with the transaction");
        }
    }

    @Override
    public void close() {
        ensureNotInTransaction("closing the executor");
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                db.close();
            }
        } finally {
            lock.unlock();
        }
    }

    private static void rollbackQuietly(PreparedStatement rollback) {
        try {
            rollback.execute();
        } catch (SQLException e) {
            // A failed COMMIT may already have ended the transaction; the original error is what counts.
            LOG.debug("Rollback failed", e);
        }
    }
}
