package io.evento.bench;

import java.util.List;
import java.util.function.Consumer;

/**
 * The physical limit a backend is measured against: the same work the executor does, written
 * directly against the driver (raw JDBC on the same table, indexes, durability and pool size; the
 * raw RocksDB API with the same write options), on a store of its own so the two never share data.
 */
interface Raw extends AutoCloseable {
    /**
     * Appends events to one aggregate in one transaction, the best raw way the driver offers
     * (a multi-row insert or a rewritten batch for several events), with the same unique key on
     * (type, id, version) doing the concurrency check.
     *
     * @param aggregateId the aggregate
     * @param firstVersion the version of the first event
     * @param payloads the encoded payloads, one per event
     */
    void append(String aggregateId, int firstVersion, List<byte[]> payloads);

    /**
     * Reads up to {@code limit} events after {@code afterPosition} in position order (a keyset scan),
     * giving each payload to {@code each}.
     *
     * @param afterPosition 0 for the start
     * @param limit the page size
     * @param each receives each payload
     * @return the position of the last event read, or -1 if none
     */
    long scan(long afterPosition, int limit, Consumer<byte[]> each);

    /**
     * Reads one aggregate's payloads in version order.
     *
     * @param aggregateId the aggregate
     * @param each receives each payload
     */
    void load(String aggregateId, Consumer<byte[]> each);

    @Override
    void close();
}
