package io.evento.spi;

import io.evento.LeaseLostException;
import java.util.List;

/**
 * The dead letters of an {@link Executor}: events a subscription set aside after its handler
 * kept failing on them, so that it could go on with the rest, kept per subscription key until they
 * are retried or discarded.
 *
 * <p>Parking is fenced like a checkpoint (see {@link SubscriberStore}): only the holder of the
 * subscription's lease can park, so a worker that lost its lease cannot add entries.
 */
public interface DeadLetterStore {

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
}
