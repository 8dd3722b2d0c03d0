package io.evento.spi;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a store knows of one subscription key: its checkpoint, its lease and whether it is paused.
 *
 * @param key the subscription key
 * @param cursor the checkpoint (cursor of the last acknowledged event), empty to start from the
 *     beginning
 * @param workerId the worker that holds or last held the lease; empty if nobody has, or since a
 *     reset revoked it
 * @param token the fencing token of that lease (0 if there never was one)
 * @param leaseExpiresAt when that lease lapses or lapsed; {@link Instant#EPOCH} once released or
 *     revoked
 * @param paused whether the subscription is paused: nobody can take or renew its lease
 */
public record SubscriberState(
        String key,
        Optional<String> cursor,
        Optional<String> workerId,
        long token,
        Instant leaseExpiresAt,
        boolean paused) {
    /**
     * Validates the state.
     *
     * @param key the subscription key
     * @param cursor the checkpoint
     * @param workerId the lease holder
     * @param token the fencing token
     * @param leaseExpiresAt when the lease lapses
     * @param paused whether paused
     */
    public SubscriberState {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(cursor, "cursor");
        Objects.requireNonNull(workerId, "workerId");
        Objects.requireNonNull(leaseExpiresAt, "leaseExpiresAt");
    }

    /**
     * Whether a worker holds the lease at {@code now}.
     *
     * @param now the time to judge by
     * @return {@code true} if some worker's lease has not lapsed
     */
    public boolean leased(Instant now) {
        return workerId.isPresent() && leaseExpiresAt.isAfter(now);
    }
}
