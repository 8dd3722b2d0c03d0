package io.evento.spi;

import io.evento.ConcurrencyException;
import io.evento.InvalidCursorException;
import io.evento.LeaseLostException;
import io.evento.Page;
import io.evento.StoreException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The storage behind Evento: an append-only log of events with a global order, subscriber
 * checkpoints with leases, and snapshots.
 *
 * <p>Every method blocks; call it from virtual threads freely. Implementations are thread-safe.
 * The conformance suite ({@code evento-tck}) states the contract as tests; the in-memory executor
 * is its reference implementation.
 *
 * <h2>The global order</h2>
 *
 * <p>{@link #read(ReadQuery)} returns events in one global order that never changes once observed:
 * a reader that pages forward from a cursor sees every event committed after that cursor, exactly
 * once, and never an event that is later rolled back. An executor whose writers commit out of order
 * must hold back events that could still be preceded by a commit in flight.
 *
 * <h2>Errors</h2>
 *
 * <p>Store failures are {@link StoreException}s, transient where a retry may help. Invalid
 * arguments are {@link IllegalArgumentException}s and leave the store unchanged.
 */
public interface Executor extends AutoCloseable {

    /**
     * Appends events to one aggregate, atomically: all of them or none.
     *
     * <p>The events share aggregate type and id and have consecutive versions {@code v+1 .. v+n}.
     * The write succeeds only if the aggregate is at version {@code v} when it happens (no event for
     * {@code v = 0}); otherwise it throws {@link ConcurrencyException} and writes nothing. The
     * routing key stored is the aggregate's: that of the given events when they create it ({@code v =
     * 0}), that of the existing events otherwise.
     *
     * @param events one or more events of one aggregate, in version order
     * @throws ConcurrencyException if the aggregate is not at version {@code v}
     * @throws IllegalArgumentException if the events are empty or inconsistent
     */
    void write(List<StoredEvent> events);

    /**
     * Reads a page of the global log.
     *
     * @param query filters, routing filter and page
     * @return the page, edges in ascending global order
     * @throws InvalidCursorException if the cursor is malformed or from another store
     */
    Page<StoredEvent> read(ReadQuery query);

    /**
     * Reads the events of one aggregate in version order, including every committed event (no
     * holding back as in {@link #read}): this is how aggregates are loaded.
     *
     * @param aggregatorType the aggregate type
     * @param aggregatorId the aggregate id
     * @param afterVersion return events with a version greater than this (0 for all)
     * @param limit the maximum number of events, from 1 to {@link io.evento.Limits#PAGE_MAX_SIZE}
     * @return the events, possibly empty
     */
    List<StoredEvent> readAggregate(String aggregatorType, String aggregatorId, int afterVersion, int limit);

    /**
     * The latest event of one aggregate.
     *
     * @param aggregatorType the aggregate type
     * @param aggregatorId the aggregate id
     * @return its last event, or empty if the aggregate has none
     */
    Optional<StoredEvent> lastEvent(String aggregatorType, String aggregatorId);

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

    /**
     * Sets an event aside for a subscription (the dead-letter store), if the lease is still held.
     * Parking an event that is already parked for the same key replaces its entry.
     *
     * @param lease the worker's lease; its key must be the entry's key
     * @param event the entry
     * @throws LeaseLostException if the lease is no longer held; nothing is stored
     */
    void park(Lease lease, ParkedEvent event);

    /**
     * The events parked for a subscription, oldest first.
     *
     * @param key the subscription key
     * @param limit the maximum number of entries, from 1 to {@link io.evento.Limits#PAGE_MAX_SIZE}
     * @return the entries
     */
    List<ParkedEvent> parked(String key, int limit);

    /**
     * Removes a parked event: after a successful retry, or to discard it.
     *
     * @param key the subscription key
     * @param eventId the event's id
     * @return {@code true} if it was parked
     */
    boolean unpark(String key, String eventId);

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
        java.util.Objects.requireNonNull(listener, "listener");
        return () -> {};
    }

    /**
     * The snapshot of a projection for one aggregate.
     *
     * @param projection the projection's key
     * @param aggregatorType the aggregate type
     * @param aggregatorId the aggregate id
     * @return the snapshot, or empty
     */
    Optional<StoredSnapshot> snapshot(String projection, String aggregatorType, String aggregatorId);

    /**
     * Saves a snapshot, replacing the previous one of the same projection and aggregate.
     *
     * @param snapshot the snapshot
     */
    void saveSnapshot(StoredSnapshot snapshot);

    /** Releases the executor's resources. Later calls fail with a {@link StoreException}. */
    @Override
    void close();
}
