package io.evento.spi;

import io.evento.internal.Validation;
import java.util.Arrays;
import java.util.Objects;

/**
 * A projection's state saved at some version of an aggregate, so that loading can start there.
 *
 * <p>Keyed by (projection, aggregate type, aggregate id); saving replaces the previous snapshot.
 *
 * @param projection the projection's key
 * @param aggregatorType the aggregate type
 * @param aggregatorId the aggregate id
 * @param revision the projection's revision when the snapshot was taken; a snapshot of another
 *     revision is ignored
 * @param version the aggregate version the state includes
 * @param data the encoded state
 * @param timestampMicros when the snapshot was taken, microseconds since the epoch
 */
public record StoredSnapshot(
        String projection,
        String aggregatorType,
        String aggregatorId,
        String revision,
        int version,
        byte[] data,
        long timestampMicros) {
    /**
     * Validates the snapshot.
     *
     * @param projection the projection's key
     * @param aggregatorType the aggregate type
     * @param aggregatorId the aggregate id
     * @param revision the projection's revision
     * @param version the aggregate version
     * @param data the encoded state
     * @param timestampMicros when it was taken
     */
    public StoredSnapshot {
        Validation.name("projection", projection);
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        Validation.name("revision", revision);
        if (version < 1) {
            throw new IllegalArgumentException("snapshot version must be at least 1, was " + version);
        }
        Objects.requireNonNull(data, "data");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredSnapshot s
                && projection.equals(s.projection)
                && aggregatorType.equals(s.aggregatorType)
                && aggregatorId.equals(s.aggregatorId)
                && revision.equals(s.revision)
                && version == s.version
                && Arrays.equals(data, s.data)
                && timestampMicros == s.timestampMicros;
    }

    @Override
    public int hashCode() {
        return Objects.hash(projection, aggregatorType, aggregatorId, revision, version);
    }

    @Override
    public String toString() {
        return "StoredSnapshot[" + projection + " " + aggregatorType + "/" + aggregatorId + " v" + version + " rev "
                + revision + ", " + data.length + " bytes]";
    }
}
