package io.evento.rocksdb;

import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * What one group has staged so far, and the store as it will be once the group is written: what a
 * {@link Command} checks itself against and stages its writes into.
 *
 * <p>Its writes go to the group's one RocksDB {@link WriteBatch}. Beside the batch it keeps an
 * overlay of what the group changed that a later command of the same group may read (aggregate
 * heads, subscriber records, parked events' sequence numbers), and consults it before the store;
 * so each command sees the commands staged before it, as if they had run one at a time. It also
 * hands out the group's positions and parked sequence numbers, from the last ones written. Used
 * only by whoever commits the group (see {@link GroupCommit}), so it needs no lock.
 */
final class StagedGroup {
    private final Store store;
    private final Clock clock;
    // The group commit's heads of recently used aggregates: read here, updated by it once written.
    private final Map<AggregateKey, Head> committedHeads;
    private final WriteBatch batch;
    private final Map<AggregateKey, Head> heads = new HashMap<>();
    private final Map<String, Optional<Records.Subscriber>> subscribers = new HashMap<>();
    // The group's parks and unparks: (key, event id) → sequence, empty once unparked.
    private final Map<ParkedKey, Optional<Long>> parked = new HashMap<>();
    private long nextPosition;
    private long nextParked;
    private int appends;
    private int puts;

    StagedGroup(
            Store store,
            Clock clock,
            Map<AggregateKey, Head> committedHeads,
            WriteBatch batch,
            long nextPosition,
            long nextParked) {
        this.store = store;
        this.clock = clock;
        this.committedHeads = committedHeads;
        this.batch = batch;
        this.nextPosition = nextPosition;
        this.nextParked = nextParked;
    }

    /** The identity of an aggregate. */
    record AggregateKey(String type, String id) {}

    /** An aggregate's current version and routing key. */
    record Head(int version, Optional<String> routingKey) {
        /** An aggregate without events. */
        static final Head ABSENT = new Head(0, Optional.empty());

        /** An aggregate at some version other than the one asked about. */
        static final Head ELSEWHERE = new Head(-1, Optional.empty());
    }

    /** The identity of a parked event: its subscription key and event id. */
    record ParkedKey(String key, String eventId) {}

    /**
     * The aggregate's head if it is at version {@code expected} ({@link Head#ABSENT} for 0), or
     * {@link Head#ELSEWHERE} if it is at another version. Reads the store only on a miss of the
     * group's and the writer's heads, with point lookups (which bloom filters answer for absent
     * keys without reading a block): {@code expected} must exist and {@code expected + 1} not,
     * since versions have no holes.
     */
    Head head(AggregateKey key, byte[] prefix, int expected) throws RocksDBException {
        Head head = heads.get(key);
        if (head == null) {
            head = committedHeads.get(key);
        }
        if (head != null) {
            return head;
        }
        if (expected > 0) {
            byte[] entry = store.db.get(store.aggregates, Keys.withVersion(prefix, expected));
            if (entry == null) {
                return Head.ELSEWHERE;
            }
            if (store.db.get(store.aggregates, Keys.withVersion(prefix, expected + 1)) != null) {
                return Head.ELSEWHERE;
            }
            return new Head(expected, Records.aggregateEntry(entry).routingKey());
        }
        return store.db.get(store.aggregates, Keys.withVersion(prefix, 1)) == null ? Head.ABSENT : Head.ELSEWHERE;
    }

    /** A subscriber's record, or {@code null} if the key has none. */
    Records.Subscriber subscriber(String key, byte[] dbKey) throws RocksDBException {
        Optional<Records.Subscriber> staged = subscribers.get(key);
        if (staged != null) {
            return staged.orElse(null);
        }
        byte[] value = store.db.get(store.subscribers, dbKey);
        return value == null ? null : Records.subscriber(value);
    }

    void putSubscriber(String key, byte[] dbKey, Records.Subscriber subscriber) throws RocksDBException {
        put(store.subscribers, dbKey, Records.subscriber(subscriber));
        subscribers.put(key, Optional.of(subscriber));
    }

    /** The sequence number of a parked event, or empty if it is not parked. */
    Optional<Long> parkedSequence(ParkedKey key, byte[] dbKey) throws RocksDBException {
        Optional<Long> staged = parked.get(key);
        if (staged != null) {
            return staged;
        }
        byte[] value = store.db.get(store.parkedByEvent, dbKey);
        return value == null ? Optional.empty() : Optional.of(Records.parkedSlot(value));
    }

    /** Parks an event under its sequence number, the one it had if it was already parked. */
    void putParked(ParkedKey key, byte[] dbKey, byte[] value) throws RocksDBException {
        Optional<Long> existing = parkedSequence(key, dbKey);
        long sequence;
        if (existing.isPresent()) {
            sequence = existing.get();
        } else {
            sequence = nextParked++;
            put(store.parkedByEvent, dbKey, Records.parkedSlot(sequence));
        }
        put(store.parked, Keys.parked(key.key(), sequence), value);
        parked.put(key, Optional.of(sequence));
    }

    /** Unparks an event; {@code false} if it was not parked. */
    boolean deleteParked(ParkedKey key, byte[] dbKey) throws RocksDBException {
        Optional<Long> existing = parkedSequence(key, dbKey);
        if (existing.isEmpty()) {
            return false;
        }
        delete(store.parked, Keys.parked(key.key(), existing.get()));
        delete(store.parkedByEvent, dbKey);
        parked.put(key, Optional.empty());
        return true;
    }

    void put(ColumnFamilyHandle family, byte[] key, byte[] value) throws RocksDBException {
        puts++;
        batch.put(family, key, value);
    }

    void delete(ColumnFamilyHandle family, byte[] key) throws RocksDBException {
        puts++;
        batch.delete(family, key);
    }

    Instant now() {
        return clock.instant();
    }

    /** The position the next appended event takes. */
    long nextPosition() {
        return nextPosition;
    }

    /**
     * Records an append staged at the positions up to {@code nextPosition} (exclusive), which
     * left its aggregate at {@code head}.
     */
    void appended(AggregateKey aggregate, Head head, long nextPosition) {
        this.nextPosition = nextPosition;
        appends++;
        heads.put(aggregate, head);
    }

    /** How many writes the group has staged. */
    int puts() {
        return puts;
    }

    /** How many appends the group has staged. */
    int appends() {
        return appends;
    }

    /** The parked sequence number the next newly parked event takes. */
    long nextParked() {
        return nextParked;
    }

    /** The heads of the aggregates the group appended to, as they are once it is written. */
    Map<AggregateKey, Head> heads() {
        return heads;
    }
}
