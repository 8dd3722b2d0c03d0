package io.evento.spi;

import java.util.Optional;

/**
 * The snapshots of an {@link Executor}: per projection and aggregate, the latest folded state,
 * so that loading an aggregate reads only the events after it.
 *
 * <p>The log stays the truth: a snapshot and the events after it must fold to the same state as
 * every event of the aggregate, so a snapshot only saves work.
 */
public interface SnapshotStore {

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
}
