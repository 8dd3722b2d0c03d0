package io.evento.spi;

import io.evento.ConcurrencyException;
import io.evento.InvalidCursorException;
import io.evento.Page;
import java.util.List;
import java.util.Optional;

/**
 * The event log of an {@link Executor}: appends to one aggregate, pages of the global order, and
 * aggregate loads.
 *
 * <p>{@link #read(ReadQuery)} returns events in one global order that never changes once observed:
 * a reader that pages forward from a cursor sees every event committed after that cursor, exactly
 * once, and never an event that is later rolled back. An implementation whose writers commit out
 * of order must hold back events that could still be preceded by a commit in flight.
 * {@link #readAggregate} and {@link #lastEvent} hold nothing back: they are how aggregates are
 * loaded, and must see every committed event.
 */
public interface EventLog {

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
}
