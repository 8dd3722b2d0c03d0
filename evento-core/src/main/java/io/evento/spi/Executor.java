package io.evento.spi;

import io.evento.StoreException;

/**
 * The storage behind Evento: an append-only log of events with a global order, subscriber
 * checkpoints with leases, dead letters and snapshots.
 *
 * <p>An executor is the one object an application opens, hands to {@code Evento} and closes. Its
 * contract comes in parts, one interface per role, so that a backend author can read (and a
 * shared implementation can implement) one at a time:
 *
 * <ul>
 *   <li>{@link EventLog}: appends, pages of the global order, aggregate loads;
 *   <li>{@link SubscriberStore}: leases, checkpoints, reset and pause;
 *   <li>{@link DeadLetterStore}: events parked by a subscription;
 *   <li>{@link CommitListeners}: being told of commits instead of only polling;
 *   <li>{@link SnapshotStore}: the saved states of projections.
 * </ul>
 *
 * <p>Every method blocks; call it from virtual threads freely. Implementations are thread-safe.
 * The conformance suite ({@code evento-tck}) states the contract as tests; the in-memory executor
 * is its reference implementation. To decorate an executor, extend {@link ForwardingExecutor}.
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
public interface Executor
        extends EventLog, SubscriberStore, DeadLetterStore, CommitListeners, SnapshotStore, AutoCloseable {

    /** Releases the executor's resources. Later calls fail with a {@link StoreException}. */
    @Override
    void close();
}
