package io.evento.spi;

import io.evento.internal.Validation;
import java.util.Objects;
import java.util.Optional;

/**
 * An event as an {@link Executor} stores it: payload and metadata as bytes.
 *
 * @param id the event id (a ULID string)
 * @param aggregatorType the aggregate type
 * @param aggregatorId the aggregate id
 * @param version the aggregate's version after this event, from 1
 * @param name the event name
 * @param routingKey the aggregate's routing key
 * @param data the encoded payload
 * @param metadata the encoded metadata (JSON)
 * @param timestampMicros commit time in microseconds since the epoch
 */
public record StoredEvent(
        String id,
        String aggregatorType,
        String aggregatorId,
        int version,
        String name,
        Optional<String> routingKey,
        byte[] data,
        byte[] metadata,
        long timestampMicros) {

    /**
     * Validates the event against {@link io.evento.Limits}.
     *
     * @param id the event id
     * @param aggregatorType the aggregate type
     * @param aggregatorId the aggregate id
     * @param version the version
     * @param name the event name
     * @param routingKey the routing key
     * @param data the encoded payload
     * @param metadata the encoded metadata
     * @param timestampMicros commit time in microseconds
     */
    public StoredEvent {
        Validation.id("id", id);
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        Validation.name("name", name);
        Objects.requireNonNull(routingKey, "routingKey");
        routingKey.ifPresent(k -> Validation.name("routingKey", k));
        if (version < 1) {
            throw new IllegalArgumentException("version must be at least 1, was " + version);
        }
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(metadata, "metadata");
    }

    /**
     * The same event with another routing key; executors use it to apply the aggregate's key.
     *
     * @param key the routing key
     * @return the copy
     */
    public StoredEvent withRoutingKey(Optional<String> key) {
        return new StoredEvent(id, aggregatorType, aggregatorId, version, name, key, data, metadata, timestampMicros);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredEvent e
                && id.equals(e.id)
                && aggregatorType.equals(e.aggregatorType)
                && aggregatorId.equals(e.aggregatorId)
                && version == e.version
                && name.equals(e.name)
                && routingKey.equals(e.routingKey)
                && java.util.Arrays.equals(data, e.data)
                && java.util.Arrays.equals(metadata, e.metadata)
                && timestampMicros == e.timestampMicros;
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, aggregatorType, aggregatorId, version);
    }

    @Override
    public String toString() {
        return "StoredEvent[" + id + " " + aggregatorType + "/" + aggregatorId + " v" + version + " " + name
                + routingKey.map(k -> " @" + k).orElse("") + ", " + data.length + " bytes]";
    }
}
