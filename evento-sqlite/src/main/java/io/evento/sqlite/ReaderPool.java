package io.evento.sqlite;

import io.evento.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A small pool of read-only connections, so that reads run in parallel with each other and with
 * the writer.
 *
 * <p>In WAL mode a reader sees the database as of the start of its read transaction and never
 * waits for the writer. Every read here is one statement in auto-commit mode, so it reads one
 * consistent snapshot and holds it only while its result set is open. Connections are opened on
 * first need, up to the pool's size; a read beyond that waits for a connection to come back.
 */
final class ReaderPool implements AutoCloseable {

    /** Opens a read-only connection. */
    @FunctionalInterface
    interface Opener {
        Connection open() throws SQLException;
    }

    private static final int STATEMENTS_PER_CONNECTION = 64;

    private final Opener opener;
    private final Semaphore permits;
    private final ReentrantLock lock = new ReentrantLock();
    private final Deque<Statements> idle = new ArrayDeque<>();
    private final String closedMessage;
    private boolean closed;

    ReaderPool(int size, Opener opener, String closedMessage) {
        this.opener = opener;
        this.permits = new Semaphore(size, true);
        this.closedMessage = closedMessage;
    }

    /** Runs {@code work} on a pooled read-only connection. */
    <T> T read(String operation, SqlWork<T> work) {
        Statements db = acquire(operation);
        try {
            return work.run(db);
        } catch (SQLException e) {
            throw SqliteErrors.failure(operation, e);
        } finally {
            release(db);
        }
    }

    private Statements acquire(String operation) {
        ensureOpen();
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(operation + " was interrupted while waiting for a read connection", e, true);
        }
        Statements db;
        lock.lock();
        try {
            if (closed) {
                permits.release();
                throw new StoreException(closedMessage, null, false);
            }
            db = idle.pollFirst();
        } finally {
            lock.unlock();
        }
        if (db == null) {
            try {
                db = new Statements(opener.open(), STATEMENTS_PER_CONNECTION);
            } catch (SQLException e) {
                permits.release();
                throw SqliteErrors.failure(operation + " (opening a read connection)", e);
            }
        }
        return db;
    }

    private void release(Statements db) {
        boolean keep;
        lock.lock();
        try {
            keep = !closed;
            if (keep) {
                idle.addFirst(db);
            }
        } finally {
            lock.unlock();
        }
        if (!keep) {
            db.close();
        }
        permits.release();
    }

    private void ensureOpen() {
        lock.lock();
        try {
            if (closed) {
                throw new StoreException(closedMessage, null, false);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Closes the idle connections now, and those in use when they come back. */
    @Override
    public void close() {
        List<Statements> toClose;
        lock.lock();
        try {
            closed = true;
            toClose = new ArrayList<>(idle);
            idle.clear();
        } finally {
            lock.unlock();
        }
        toClose.forEach(Statements::close);
    }
}
