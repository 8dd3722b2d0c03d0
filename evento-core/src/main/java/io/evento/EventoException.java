package io.evento;

import java.io.Serial;

/**
 * Root of the exceptions Evento throws for conditions of the store or of stored data.
 *
 * <p>Invalid arguments (an over-long name, an empty commit, a page size of zero) are reported with
 * the standard {@link IllegalArgumentException} or {@link IllegalStateException} instead. Every
 * Evento exception is unchecked. {@link #isTransient()} tells whether retrying the same operation
 * later may succeed (a database that is down) or not (a decoding failure).
 */
public class EventoException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final boolean transientFailure;

    /**
     * Creates a permanent failure.
     *
     * @param message what went wrong
     */
    public EventoException(String message) {
        this(message, null, false);
    }

    /**
     * Creates a failure.
     *
     * @param message what went wrong
     * @param cause the underlying failure, may be {@code null}
     * @param transientFailure whether retrying later may succeed
     */
    public EventoException(String message, Throwable cause, boolean transientFailure) {
        super(message, cause);
        this.transientFailure = transientFailure;
    }

    /**
     * Whether the same operation may succeed if retried later, for example after a lost connection.
     *
     * @return {@code true} for transient failures
     */
    public boolean isTransient() {
        return transientFailure;
    }
}
