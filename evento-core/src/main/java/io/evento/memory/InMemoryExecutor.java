package io.evento.memory;

import io.evento.ConcurrencyException;
import io.evento.Edge;
import io.evento.InvalidCursorException;
import io.evento.LeaseLostException;
import io.evento.Limits;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.StoreException;
import io.evento.internal.CommitSignal;
import io.evento.internal.Cursors;
import io.evento.internal.Validation;
import io.evento.internal.WriteBatch;
import io.evento.spi.Executor;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import io.evento.spi.SubscriberState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An executor that keeps everything in memory: the reference implementation of the {@link
 * Executor} contract, and a store for tests and prototypes.
 *
 * <p>It is a complete implementation, held to the same conformance suite as the database
 * executors. Writes are serialized by a lock, so the global order is simply the append order and
 * no reader can see a gap; reads run in parallel. Nothing survives the process.
 */
public final class InMemoryExecutor implements Executor {

    /** A subscription key's row; {@code workerId} is null when nobody holds or held the lease since a reset. */
    private record Subscriber(String workerId, long token, Instant expiresAt, String cursor, boolean paused) {
        static final Subscriber NEW = new Subscriber(null, 0, Instant.EPOCH, null, false);

        Subscriber withLease(String worker, long newToken, Instant expiry) {
            return new Subscriber(worker, newToken, expiry, cursor, paused);
        }

        Subscriber withCursor(String newCursor) {
            return new Subscriber(workerId, token, expiresAt, newCursor, paused);
        }
    }

    private record ParkKey(String key, String eventId) {}

    private record SnapshotKey(String projection, String type, String id) {}

    private record AggregateKey(String type, String id) {}

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final String storeId = UUID.randomUUID().toString().substring(0, 8);
    private final Clock clock;
    private final List<StoredEvent> log = new ArrayList<>();
    private final Map<AggregateKey, List<StoredEvent>> aggregates = new HashMap<>();
    private final Map<String, Subscriber> subscribers = new HashMap<>();
    private final Map<SnapshotKey, StoredSnapshot> snapshots = new HashMap<>();
    private final Map<ParkKey, ParkedEvent> parked = new LinkedHashMap<>();
    private final CommitSignal signal = new CommitSignal();
    private boolean closed;

    private InMemoryExecutor(Clock clock) {
        this.clock = clock;
    }

    /**
     * A new, empty store using the system clock for lease expiry.
     *
     * @return the executor
     */
    public static InMemoryExecutor create() {
        return new InMemoryExecutor(Clock.systemUTC());
    }

    /**
     * A new, empty store using {@code clock} for lease expiry (for tests that move time).
     *
     * @param clock the clock
     * @return the executor
     */
    public static InMemoryExecutor create(Clock clock) {
        return new InMemoryExecutor(Objects.requireNonNull(clock, "clock"));
    }

    @Override
    public void write(List<StoredEvent> events) {
        int expected = WriteBatch.expectedVersion(events);
        StoredEvent first = events.getFirst();
        AggregateKey key = new AggregateKey(first.aggregatorType(), first.aggregatorId());
        lock.writeLock().lock();
        try {
            ensureOpen();
            List<StoredEvent> stream = aggregates.get(key);
            int current = stream == null ? 0 : stream.getLast().version();
            if (current != expected) {
                throw new ConcurrencyException(key.type(), key.id(), expected, null);
            }
            Optional<String> routingKey =
                    stream == null ? first.routingKey() : stream.getFirst().routingKey();
            List<StoredEvent> target = aggregates.computeIfAbsent(key, k -> new ArrayList<>());
            for (StoredEvent e : events) {
                StoredEvent stored = e.withRoutingKey(routingKey);
                log.add(stored);
                target.add(stored);
            }
        } finally {
            lock.writeLock().unlock();
        }
        signal.fire();
    }

    @Override
    public Page<StoredEvent> read(ReadQuery query) {
        PageRequest page = query.page();
        lock.readLock().lock();
        try {
            ensureOpen();
            // Positions are 1-based indexes into the log; 0 and size+1 are the open ends.
            long bound =
                    page.cursor().map(InMemoryExecutor.this::position).orElse(page.isForward() ? 0L : log.size() + 1L);
            bound = Math.min(bound, log.size() + 1L);
            List<Edge<StoredEvent>> edges = new ArrayList<>();
            boolean more = false;
            if (page.isForward()) {
                for (long p = bound + 1; p <= log.size(); p++) {
                    StoredEvent e = log.get((int) p - 1);
                    if (query.matches(e)) {
                        if (edges.size() == page.size()) {
                            more = true;
                            break;
                        }
                        long at = p;
                        edges.add(Edge.lazy(e, () -> Cursors.encode(storeId, at)));
                    }
                }
                return Page.of(edges, page.cursor().isPresent(), more);
            }
            for (long p = Math.min(bound, log.size() + 1L) - 1; p >= 1; p--) {
                StoredEvent e = log.get((int) p - 1);
                if (query.matches(e)) {
                    if (edges.size() == page.size()) {
                        more = true;
                        break;
                    }
                    long at = p;
                    edges.add(Edge.lazy(e, () -> Cursors.encode(storeId, at)));
                }
            }
            return Page.of(edges.reversed(), more, page.cursor().isPresent());
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public List<StoredEvent> readAggregate(String aggregatorType, String aggregatorId, int afterVersion, int limit) {
        AggregateKey key = aggregateKey(aggregatorType, aggregatorId);
        Validation.limit("limit", limit, Limits.PAGE_MAX_SIZE);
        lock.readLock().lock();
        try {
            ensureOpen();
            List<StoredEvent> stream = aggregates.getOrDefault(key, List.of());
            int from = Math.clamp(afterVersion, 0, stream.size());
            return List.copyOf(stream.subList(from, Math.min(stream.size(), from + limit)));
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public Optional<StoredEvent> lastEvent(String aggregatorType, String aggregatorId) {
        AggregateKey key = aggregateKey(aggregatorType, aggregatorId);
        lock.readLock().lock();
        try {
            ensureOpen();
            List<StoredEvent> stream = aggregates.get(key);
            return stream == null ? Optional.empty() : Optional.of(stream.getLast());
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public Optional<Lease> acquireLease(String key, String workerId, Duration ttl) {
        Validation.name("key", key);
        Validation.id("workerId", workerId);
        requirePositive(ttl);
        lock.writeLock().lock();
        try {
            ensureOpen();
            Instant now = clock.instant();
            Subscriber s = subscribers.getOrDefault(key, Subscriber.NEW);
            boolean mine = workerId.equals(s.workerId());
            if (s.paused() || (!mine && s.workerId() != null && s.expiresAt().isAfter(now))) {
                return Optional.empty();
            }
            long token = mine ? s.token() : s.token() + 1;
            Instant expiresAt = now.plus(ttl);
            subscribers.put(key, s.withLease(workerId, token, expiresAt));
            return Optional.of(new Lease(key, workerId, token, expiresAt));
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void releaseLease(Lease lease) {
        lock.writeLock().lock();
        try {
            ensureOpen();
            Subscriber s = subscribers.get(lease.key());
            if (holds(s, lease, clock.instant())) {
                // Keep the token so the next owner's token is still larger than any before it.
                subscribers.put(lease.key(), s.withLease(s.workerId(), s.token(), Instant.EPOCH));
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public Optional<SubscriberState> subscriber(String key) {
        Validation.name("key", key);
        lock.readLock().lock();
        try {
            ensureOpen();
            Subscriber s = subscribers.get(key);
            return Optional.ofNullable(s)
                    .map(r -> new SubscriberState(
                            key,
                            Optional.ofNullable(r.cursor()),
                            Optional.ofNullable(r.workerId()),
                            r.token(),
                            r.expiresAt(),
                            r.paused()));
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void acknowledge(Lease lease, String cursor) {
        Validation.cursor(cursor);
        lock.writeLock().lock();
        try {
            ensureOpen();
            Subscriber s = subscribers.get(lease.key());
            if (!holds(s, lease, clock.instant())) {
                throw new LeaseLostException(lease.key(), lease.workerId());
            }
            subscribers.put(lease.key(), s.withCursor(cursor));
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void resetSubscriber(String key, Optional<String> cursor) {
        Validation.name("key", key);
        cursor.ifPresent(Validation::cursor);
        lock.writeLock().lock();
        try {
            ensureOpen();
            Subscriber s = subscribers.getOrDefault(key, Subscriber.NEW);
            // No holder and a lapsed lease: the next taker, whoever it is, gets token + 1.
            subscribers.put(key, new Subscriber(null, s.token(), Instant.EPOCH, cursor.orElse(null), s.paused()));
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void pauseSubscriber(String key, boolean paused) {
        Validation.name("key", key);
        lock.writeLock().lock();
        try {
            ensureOpen();
            Subscriber s = subscribers.getOrDefault(key, Subscriber.NEW);
            subscribers.put(key, new Subscriber(s.workerId(), s.token(), s.expiresAt(), s.cursor(), paused));
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void park(Lease lease, ParkedEvent event) {
        Objects.requireNonNull(event, "event");
        Validation.parkedUnder(lease, event);
        lock.writeLock().lock();
        try {
            ensureOpen();
            if (!holds(subscribers.get(lease.key()), lease, clock.instant())) {
                throw new LeaseLostException(lease.key(), lease.workerId());
            }
            // replace() keeps an entry's place in the LinkedHashMap: oldest first stays true.
            ParkKey k = new ParkKey(event.key(), event.eventId());
            if (parked.replace(k, event) == null) {
                parked.put(k, event);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public List<ParkedEvent> parked(String key, int limit) {
        Validation.name("key", key);
        Validation.limit("limit", limit, Limits.PAGE_MAX_SIZE);
        lock.readLock().lock();
        try {
            ensureOpen();
            return parked.values().stream()
                    .filter(p -> p.key().equals(key))
                    .limit(limit)
                    .toList();
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public boolean unpark(String key, String eventId) {
        ParkKey k = new ParkKey(Validation.name("key", key), Validation.id("eventId", eventId));
        lock.writeLock().lock();
        try {
            ensureOpen();
            return parked.remove(k) != null;
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public Registration onCommit(Runnable listener) {
        return signal.register(listener);
    }

    @Override
    public Optional<StoredSnapshot> snapshot(String projection, String aggregatorType, String aggregatorId) {
        SnapshotKey key = new SnapshotKey(
                Validation.name("projection", projection),
                Validation.name("aggregatorType", aggregatorType),
                Validation.id("aggregatorId", aggregatorId));
        lock.readLock().lock();
        try {
            ensureOpen();
            return Optional.ofNullable(snapshots.get(key));
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void saveSnapshot(StoredSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        lock.writeLock().lock();
        try {
            ensureOpen();
            snapshots.put(
                    new SnapshotKey(snapshot.projection(), snapshot.aggregatorType(), snapshot.aggregatorId()),
                    snapshot);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            closed = true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "InMemoryExecutor[" + storeId + "]";
    }

    /** The position a cursor of this store points at; a checksum is no signature, so range-check it. */
    private long position(String cursor) {
        long position = Cursors.decode(storeId, cursor, 1)[0];
        if (position < 0) {
            throw new InvalidCursorException("invalid cursor: position " + position + " is out of range");
        }
        return position;
    }

    private static boolean holds(Subscriber s, Lease lease, Instant now) {
        return s != null
                && lease.workerId().equals(s.workerId())
                && s.token() == lease.token()
                && s.expiresAt().isAfter(now);
    }

    private static AggregateKey aggregateKey(String type, String id) {
        return new AggregateKey(Validation.name("aggregatorType", type), Validation.id("aggregatorId", id));
    }

    private static void requirePositive(Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("lease ttl must be positive, was " + ttl);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new StoreException("the in-memory executor is closed", null, false);
        }
    }
}
