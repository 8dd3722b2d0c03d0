package io.evento.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * Proof that a worker owns a subscription key until {@code expiresAt}.
 *
 * <p>The token grows every time the lease changes hands. Acknowledging presents the lease; the
 * executor refuses it unless the stored owner, token and expiry still match (fencing), so a worker
 * that stalled past its expiry can never move the checkpoint of its replacement.
 *
 * @param key the subscription key
 * @param workerId the owning worker
 * @param token the fencing token
 * @param expiresAt when the lease lapses unless renewed
 */
public record Lease(String key, String workerId, long token, Instant expiresAt) {
    /**
     * Validates the lease.
     *
     * @param key the subscription key
     * @param workerId the owning worker
     * @param token the fencing token
     * @param expiresAt when the lease lapses
     */
    public Lease {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(workerId, "workerId");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }
}
