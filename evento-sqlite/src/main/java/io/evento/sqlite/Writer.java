package io.evento.sqlite;

import io.evento.StoreException;
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
 */
final class Writer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Writer.class);

    private final ReentrantLock lock = new ReentrantLock();
    private final Statements db;
    private final String closedMessage;
    private boolean closed;

    Writer(Statements db, String closedMessage) {
        this.db = db;
        this.closedMessage = closedMessage;
    }

    /** Runs {@code work} in one {@code BEGIN IMMEDIATE} transaction; commits, or rolls back on any failure. */
    <T> T transaction(String operation, SqlWork<T> work) {
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

    @Override
    public void close() {
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
