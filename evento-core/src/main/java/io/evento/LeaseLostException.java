package io.evento;

import java.io.Serial;

/**
 * A subscription worker tried to act on a lease it no longer holds: it expired, or another worker
 * took it over. The worker must stop; the checkpoint was not moved.
 */
public final class LeaseLostException extends EventoException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param key the subscription key
     * @param workerId the worker that lost the lease
     */
    public LeaseLostException(String key, String workerId) {
        super("worker " + workerId + " no longer holds the lease of subscription '" + key + "'");
    }
}
