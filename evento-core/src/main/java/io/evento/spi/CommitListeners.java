package io.evento.spi;

import java.util.Objects;

/**
 * The commit listeners of an {@link Executor}: how subscribers learn at once that new events may
 * be readable, instead of only polling for them.
 */
public interface CommitListeners {

    /**
     * A listener registration; closing it stops the calls.
     */
    @FunctionalInterface
    interface Registration extends AutoCloseable {
        /** Stops calling the listener. Idempotent. */
        @Override
        void close();
    }

    /**
     * Asks to be told when new events may have become readable, so subscribers can wake at once
     * instead of polling.
     *
     * <p>The listener runs on a thread the executor chooses (often the one that committed, which may
     * be the application's), some time after a commit; calls may be coalesced
     * (one call for many commits) or spurious, and a commit by another process may go unnoticed, so
     * callers still poll as a fallback. The listener must return quickly and must not call the
     * executor. The default never calls it: subscribers of such an executor only poll.
     *
     * @param listener what to run
     * @return the registration
     */
    default Registration onCommit(Runnable listener) {
        Objects.requireNonNull(listener, "listener");
        return () -> {};
    }
}
