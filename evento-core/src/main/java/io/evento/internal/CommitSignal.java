package io.evento.internal;

import io.evento.spi.Executor;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process half of {@link Executor#onCommit}: executors call {@link #fire()} after each
 * commit, on the committing thread, and every registered listener runs.
 *
 * <p>Internal: not part of the API; it may change without notice.
 */
public final class CommitSignal {
    private static final Logger LOG = LoggerFactory.getLogger(CommitSignal.class);

    private final CopyOnWriteArrayList<Runnable> listeners = new CopyOnWriteArrayList<>();

    /** Creates a signal without listeners. */
    public CommitSignal() {}

    /**
     * Registers a listener.
     *
     * @param listener what to run after each commit
     * @return the registration
     */
    public Executor.Registration register(Runnable listener) {
        Objects.requireNonNull(listener, "listener");
        // A wrapper per registration, so registering the same Runnable twice gives two independent handles.
        Runnable entry = listener::run;
        listeners.add(entry);
        return () -> listeners.remove(entry);
    }

    /** Whether anyone listens; lets executors skip work nobody waits for. */
    public boolean hasListeners() {
        return !listeners.isEmpty();
    }

    /** Runs every listener; a failing listener is logged and does not stop the others. */
    public void fire() {
        for (Runnable listener : listeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                LOG.warn("a commit listener failed", e);
            }
        }
    }
}
