package io.evento;

import java.io.Serial;

/**
 * The store failed: the database is unreachable, a disk is full, the executor was closed. {@link
 * #isTransient()} tells whether a retry may help; executors classify database errors by their
 * error codes (SQLSTATE class 08 is transient, for example).
 */
public final class StoreException extends EventoException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed
     * @param cause the underlying failure, may be {@code null}
     * @param transientFailure whether retrying later may succeed
     */
    public StoreException(String message, Throwable cause, boolean transientFailure) {
        super(message, cause, transientFailure);
    }
}
