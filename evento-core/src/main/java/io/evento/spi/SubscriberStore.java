package io.evento.spi;

import io.evento.InvalidCursorException;
import io.evento.LeaseLostException;
import java.time.Duration;
import java.util.Optional;

/**
 * The subscribers of an {@link Executor}: per subscription key, a lease that one worker at a time
 * holds, the checkpoint it moves, and the operator's controls (reset, pause).
 *
 * <p>Leases are fenced by a token: it grows whenever a lease changes hands or is revoked, and a
 * checkpoint moves only for the current holder of an unexpired lease with the current token, so
 * a worker that lost its lease can never move the checkpoint.
 */
public interface SubscriberStore {

    /**
     * Takes or extends the lease of a subscription key for {@code ttl}. It succeeds when the key is
     * not paused and nobody holds it, the previous lease lapsed, or {@code workerId} already holds
     * it. The token stays the same when the same worker extends or retakes its own lease, and grows
     * when the lease changes hands or after a {@linkplain #resetSubscriber reset}.
     *
     * @param key the subscription key
     * @param workerId the worker asking
     * @param ttl how long the lease lasts unless renewed
     * @return the lease, or empty if another worker holds an unexpired lease or the key is paused
     */
    Optional<Lease> acquireLease(String key, String workerId, Duration ttl);

    /**
     * Gives a lease up early so another worker can take over at once. Does nothing if the lease
     * was already lost.
     *
     * @param lease the lease to release
     */
    void releaseLease(Lease lease);

    /**
     * The checkpoint of a subscription key: the cursor of the last acknowledged event.
     *
     * @param key the subscription key
     * @return the cursor, or empty if nothing was acknowledged yet
     */
    default Optional<String> subscriberCursor(String key) {
        return subscriber(key).flatMap(SubscriberState::cursor);
    }

    /**
     * Everything stored about a subscription key.
     *
     * @param key the subscription key
     * @return its state, or empty if the key was never leased, reset or paused
     */
    Optional<SubscriberState> subscriber(String key);

    /**
     * Moves a subscription's checkpoint, if the lease is still held (same worker, same token, not
     * expired).
     *
     * <p>The cursor is stored verbatim and not interpreted here, so that composite executors can
     * keep their own cursors in a member's checkpoint table; a cursor that is not this store's is
     * refused when it is read with ({@link InvalidCursorException}).
     *
     * @param lease the worker's lease
     * @param cursor the cursor of the last handled event, at most {@link
     *     io.evento.Limits#CURSOR_MAX_LENGTH} characters
     * @throws LeaseLostException if the lease is no longer held; the checkpoint is unchanged
     */
    void acknowledge(Lease lease, String cursor);

    /**
     * Sets a subscription's checkpoint, whoever holds its lease, and revokes that lease: the holder
     * can no longer acknowledge or park, and whoever takes the lease next gets a higher token and
     * starts from the new checkpoint. Creates the key if it is unknown; keeps its paused flag.
     *
     * @param key the subscription key
     * @param cursor the new checkpoint, or empty to start again from the beginning
     */
    void resetSubscriber(String key, Optional<String> cursor);

    /**
     * Pauses or resumes a subscription. While paused, {@link #acquireLease} refuses everyone,
     * including the current holder, so its worker stops at its next renewal; acknowledging with a
     * lease still held keeps working. Creates the key if it is unknown.
     *
     * @param key the subscription key
     * @param paused {@code true} to pause, {@code false} to resume
     */
    void pauseSubscriber(String key, boolean paused);
}
