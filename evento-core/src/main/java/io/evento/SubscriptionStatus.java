package io.evento;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Where one subscription key stands.
 *
 * @param key the subscription or partition key
 * @param workerId the worker holding the lease now, if any
 * @param leaseExpiresAt when that lease lapses unless renewed
 * @param cursor the checkpoint, empty if nothing was acknowledged yet
 * @param paused whether the subscription is paused
 * @param lagEvents how many events after the checkpoint the subscription still has to process
 * @param lagTime how long the oldest of those has been waiting (zero when caught up)
 * @param parked how many events are parked in the dead-letter store
 */
public record SubscriptionStatus(
        String key,
        Optional<String> workerId,
        Optional<Instant> leaseExpiresAt,
        Optional<String> cursor,
        boolean paused,
        long lagEvents,
        Duration lagTime,
        int parked) {
    /**
     * Validates the status.
     *
     * @param key the key
     * @param workerId the lease holder
     * @param leaseExpiresAt when the lease lapses
     * @param cursor the checkpoint
     * @param paused whether paused
     * @param lagEvents events to process
     * @param lagTime age of the oldest event to process
     * @param parked parked events
     */
    public SubscriptionStatus {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(workerId, "workerId");
        Objects.requireNonNull(leaseExpiresAt, "leaseExpiresAt");
        Objects.requireNonNull(cursor, "cursor");
        Objects.requireNonNull(lagTime, "lagTime");
    }
}
