package io.evento.internal.sql;

import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Facts about aggregates that, once true, stay true: "version {@code v} of this aggregate is
 * committed, and its routing key is {@code k}".
 *
 * <p>An append at expected version {@code v > 0} must check that version {@code v} exists (else the
 * commit is ahead of the aggregate and would leave a hole) and store the aggregate's routing key.
 * Events are never deleted and versions have no holes, so if this executor ever saw a version
 * {@code w >= v} of the aggregate committed, version {@code v} exists; and an aggregate's routing
 * key never changes. Loading an aggregate before appending to it, as {@code Evento} does, records
 * the fact; so does every successful write. The append is then one plain {@code INSERT}, its
 * unique key being the only check still needed (another commit may have taken version {@code v +
 * 1} since). Without a fact at hand the append first reads version {@code v}: one more round trip,
 * and no transaction, because what it learns cannot become false.
 *
 * <p>Bounded: past its capacity, an arbitrary part of the entries is dropped. Thread-safe.
 *
 * <p>Internal: shared by the SQL executors, not part of the API; it may change without notice.
 */
public final class KnownAggregates {
    private record Key(String type, String id) {}

    private record Known(int version, Optional<String> routingKey) {}

    private final ConcurrentHashMap<Key, Known> known = new ConcurrentHashMap<>();
    private final int capacity;

    /**
     * An empty cache.
     *
     * @param capacity the number of aggregates past which entries are dropped
     */
    public KnownAggregates(int capacity) {
        this.capacity = capacity;
    }

    /** The routing key of the aggregate if version {@code atLeast} (or a later one) is known committed. */
    public Optional<Optional<String>> routingKeyIfAtVersion(String type, String id, int atLeast) {
        Known k = known.get(new Key(type, id));
        return k != null && k.version() >= atLeast ? Optional.of(k.routingKey()) : Optional.empty();
    }

    /** Records that {@code version} of the aggregate is committed, with its routing key. */
    public void record(String type, String id, int version, Optional<String> routingKey) {
        known.merge(
                new Key(type, id),
                new Known(version, routingKey),
                (old, fresh) -> old.version() >= fresh.version() ? old : fresh);
        if (known.size() > capacity) {
            Iterator<Key> keys = known.keySet().iterator();
            for (int dropped = 0; dropped < capacity / 4 && keys.hasNext(); dropped++) {
                keys.next();
                keys.remove();
            }
        }
    }
}
