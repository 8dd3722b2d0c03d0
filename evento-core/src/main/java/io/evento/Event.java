package io.evento;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A stored event with its payload decoded: what handlers and reads receive.
 *
 * @param id the event's id (a ULID)
 * @param aggregatorType the aggregate type, from {@link Aggregate}
 * @param aggregatorId the aggregate id
 * @param version the aggregate's version after this event (1 for the first event)
 * @param name the stored event name
 * @param routingKey the aggregate's routing key, if it has one
 * @param data the decoded payload
 * @param metadata the commit's metadata
 * @param timestamp when the event was committed (microsecond precision)
 * @param <E> the payload type
 */
public record Event<E>(
        String id,
        String aggregatorType,
        String aggregatorId,
        int version,
        String name,
        Optional<String> routingKey,
        E data,
        Metadata metadata,
        Instant timestamp) {
    /**
     * Validates the event.
     *
     * @param id the event's id
     * @param aggregatorType the aggregate type
     * @param aggregatorId the aggregate id
     * @param version the aggregate's version after this event
     * @param name the stored event name
     * @param routingKey the routing key
     * @param data the decoded payload
     * @param metadata the commit's metadata
     * @param timestamp when the event was committed
     */
    public Event {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(aggregatorType, "aggregatorType");
        Objects.requireNonNull(aggregatorId, "aggregatorId");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(routingKey, "routingKey");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(timestamp, "timestamp");
    }
}
