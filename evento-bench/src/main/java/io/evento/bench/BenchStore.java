package io.evento.bench;

import io.evento.spi.Executor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A {@link Backend.Store} made of parts: the executor, the raw side, how to open a second executor
 * over the executor's data, and how to delete both sides' data once everything is closed.
 *
 * <p>Closing goes on past a failure, so that one part that cannot be closed never leaves the others
 * (connections, files, schemas) behind; the first failure is thrown at the end, the others added to
 * it as suppressed.
 */
final class BenchStore implements Backend.Store {
    private final Executor executor;
    private final Raw raw;
    private final Supplier<Executor> reopener;
    private final Runnable deleteData;
    private final List<Executor> reopened = new ArrayList<>();
    private boolean closed;

    /**
     * @param executor the executor over the library's side
     * @param raw the raw side
     * @param reopener opens another executor over the library's side
     * @param deleteData drops or deletes both sides' data, run after everything else is closed
     */
    BenchStore(Executor executor, Raw raw, Supplier<Executor> reopener, Runnable deleteData) {
        this.executor = executor;
        this.raw = raw;
        this.reopener = reopener;
        this.deleteData = deleteData;
    }

    @Override
    public Executor executor() {
        return executor;
    }

    @Override
    public synchronized Executor reopen() {
        if (closed) {
            throw new IllegalStateException("the store is closed");
        }
        Executor second = reopener.get();
        reopened.add(second);
        return second;
    }

    @Override
    public Raw raw() {
        return raw;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        List<AutoCloseable> parts = new ArrayList<>(reopened.reversed());
        parts.add(executor);
        parts.add(raw);
        for (AutoCloseable part : parts) {
            failure = attempt(failure, part::close);
        }
        failure = attempt(failure, deleteData::run);
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException attempt(RuntimeException failure, AutoCloseable step) {
        try {
            step.close();
            return failure;
        } catch (Exception e) {
            if (failure == null) {
                return e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
            failure.addSuppressed(e);
            return failure;
        }
    }

    /**
     * Closes what was opened so far when a backend fails half-way through opening a store, adding
     * any failure to {@code cause}, and returns {@code cause} to be thrown.
     */
    static RuntimeException abandon(RuntimeException cause, AutoCloseable... opened) {
        for (AutoCloseable part : opened) {
            if (part != null) {
                try {
                    part.close();
                } catch (Exception e) {
                    cause.addSuppressed(e);
                }
            }
        }
        return cause;
    }
}
