package io.evento.composite;

import io.evento.Page;
import io.evento.spi.Executor;
import io.evento.spi.ForwardingExecutor;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reads from one executor, writes to another: a PostgreSQL primary with a read replica is the use
 * case (Evento's {@code Rw}).
 *
 * <p>Log reads, aggregate loads and snapshot reads go to the read side; writes, leases,
 * checkpoints and snapshot writes to the write side. Both sides must be the same store (a
 * replica carries the primary's store id, so cursors work on either).
 *
 * <h2>Replica lag</h2>
 *
 * <ul>
 *   <li>A page read from the replica may lag the primary; it is still skip-free: what the replica
 *       has not replayed yet appears on a later page, never out of order.
 *   <li>Loads are read-your-writes within this process: the executor remembers the last version it
 *       wrote for recently written aggregates (up to {@code rememberedAggregates}), and a load that
 *       finds the replica behind that version is answered by the primary instead.
 *   <li>{@link #lastEvent} always asks the primary, because a commit without an expected version
 *       appends after it.
 *   <li>A load from a lagging replica by another process is still safe: committing with the stale
 *       version fails with a {@link io.evento.ConcurrencyException}, nothing is overwritten.
 * </ul>
 *
 * <p>Closing closes both sides (once, if they are the same executor).
 */
public final class Rw extends ForwardingExecutor {
    private final Executor read;
    private final Executor write;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Integer> writtenVersions;

    private Rw(Executor read, Executor write, int rememberedAggregates) {
        // What is not overridden here goes to the write side: last events, subscribers, dead
        // letters and snapshot writes.
        super(writeSide(read, write));
        this.read = read;
        this.write = write;
        if (rememberedAggregates < 0) {
            throw new IllegalArgumentException("rememberedAggregates must be 0 or more, was " + rememberedAggregates);
        }
        this.writtenVersions = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
                return size() > rememberedAggregates;
            }
        };
    }

    /** The write side, after checking both sides in the order they are given. */
    private static Executor writeSide(Executor read, Executor write) {
        Objects.requireNonNull(read, "read");
        return Objects.requireNonNull(write, "write");
    }

    /**
     * Reads from {@code read}, writes to {@code write}, remembering the last 10,000 written
     * aggregates for read-your-writes loads.
     *
     * @param read the replica
     * @param write the primary
     * @return the executor
     */
    public static Rw of(Executor read, Executor write) {
        return new Rw(read, write, 10_000);
    }

    /**
     * Reads from {@code read}, writes to {@code write}, remembering up to {@code
     * rememberedAggregates} written aggregates (0 turns read-your-writes loads off).
     *
     * @param read the replica
     * @param write the primary
     * @param rememberedAggregates how many recently written aggregates to remember
     * @return the executor
     */
    public static Rw of(Executor read, Executor write, int rememberedAggregates) {
        return new Rw(read, write, rememberedAggregates);
    }

    @Override
    public void write(List<StoredEvent> events) {
        write.write(events);
        StoredEvent last = events.getLast();
        lock.lock();
        try {
            writtenVersions.merge(key(last.aggregatorType(), last.aggregatorId()), last.version(), Math::max);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Page<StoredEvent> read(ReadQuery query) {
        return read.read(query);
    }

    @Override
    public List<StoredEvent> readAggregate(String aggregatorType, String aggregatorId, int afterVersion, int limit) {
        Integer written;
        lock.lock();
        try {
            written = writtenVersions.get(key(aggregatorType, aggregatorId));
        } finally {
            lock.unlock();
        }
        List<StoredEvent> events = read.readAggregate(aggregatorType, aggregatorId, afterVersion, limit);
        if (written == null || events.size() == limit) {
            return events;
        }
        int replicaVersion = events.isEmpty() ? afterVersion : events.getLast().version();
        return replicaVersion >= written
                ? events
                : write.readAggregate(aggregatorType, aggregatorId, afterVersion, limit);
    }

    @Override
    public Registration onCommit(Runnable listener) {
        List<Registration> registrations =
                List.of(read, write).stream().map(m -> m.onCommit(listener)).toList();
        return () -> registrations.forEach(Registration::close);
    }

    @Override
    public Optional<StoredSnapshot> snapshot(String projection, String aggregatorType, String aggregatorId) {
        return read.snapshot(projection, aggregatorType, aggregatorId);
    }

    @Override
    public void close() {
        try {
            read.close();
        } finally {
            if (write != read) {
                write.close();
            }
        }
    }

    @Override
    public String toString() {
        return "Rw[read=" + read + ", write=" + write + "]";
    }

    private static String key(String type, String id) {
        return type + '\u0000' + id;
    }
}
