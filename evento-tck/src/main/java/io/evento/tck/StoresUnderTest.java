package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.Evento;
import io.evento.spi.Executor;
import io.evento.spi.StoredEvent;
import io.evento.tck.ExecutorTck.HeldWrite;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * The stores of one scenario. {@link ExecutorTck} opens the first before each test and closes all
 * of them after it; a scenario group reaches them through {@link Scenarios}.
 *
 * <p>It exists apart from {@link ExecutorTck} so that the entry point a backend author reads holds
 * only the hooks and the list of groups, and so that every group, whatever file it lives in, sees
 * one store lifecycle: fresh for every test, distinct from every store opened before, and closed
 * even when a scenario fails half-way.
 */
final class StoresUnderTest {
    private final List<Executor> open = new ArrayList<>();
    private Supplier<Executor> newExecutor;
    private BiFunction<Executor, List<StoredEvent>, HeldWrite> holdWrite;
    private Executor store;
    private Evento evento;

    /**
     * Opens the store a scenario starts with, and an {@link Evento} over it. The suite's hooks come
     * here rather than to a constructor: the suite cannot hand out its methods before it is built.
     */
    void openFirst(Supplier<Executor> newExecutor, BiFunction<Executor, List<StoredEvent>, HeldWrite> holdWrite) {
        this.newExecutor = newExecutor;
        this.holdWrite = holdWrite;
        store = openAnother();
        evento = Scenarios.eventoOn(store);
    }

    /** The store a scenario starts with. */
    Executor store() {
        return store;
    }

    /** An {@link Evento} over {@link #store()} with the TCK families registered. */
    Evento evento() {
        return evento;
    }

    /** A fresh store, closed after the test. */
    Executor openAnother() {
        Executor fresh = newExecutor.get();
        assertThat(fresh).as("newExecutor()").isNotNull();
        for (Executor previous : open) {
            assertThat(fresh).as("newExecutor() returns a new store every time").isNotSameAs(previous);
        }
        open.add(fresh);
        return fresh;
    }

    /** Closes a store now; it will not be closed again. */
    void close(Executor opened) {
        open.remove(opened);
        opened.close();
    }

    /** An open write on {@code target}, as {@link ExecutorTck#holdWrite} gives. */
    HeldWrite hold(Executor target, List<StoredEvent> events) {
        return holdWrite.apply(target, events);
    }

    /** Closes every store the scenario opened, reporting the first failure to close. */
    void closeAll() {
        RuntimeException failure = null;
        for (Executor opened : open.reversed()) {
            try {
                opened.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        open.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
