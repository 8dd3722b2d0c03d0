package io.evento.rocksdb;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The keys of every column family. RocksDB orders keys by their unsigned bytes; each layout puts
 * what a read ranges over last, in big-endian, so byte order is the order the read needs:
 *
 * <pre>
 * column family           key                                          value
 * default (meta)          "format" | "store-id" | "last-position"      int | string | long
 *                         | "last-parked"                              | long
 * events                  position                                     the event ({@link Records})
 * aggregates              type, id, version (int)                      position, routing key
 * events_by_type          type, position                               empty
 * events_by_name          type, name, position                         empty
 * events_by_routing_key   0 | 1 key, position                          empty
 * subscribers             key                                          worker, token, expiry, cursor, paused
 * snapshots               projection, type, id                         revision, version, time, data
 * parked                  key, sequence                                the parked event's reference and error
 * parked_by_event         key, event id                                sequence
 * </pre>
 *
 * <p>Strings are length-prefixed ({@link Bytes}), so a prefix such as {@code (type, id)} selects
 * exactly one aggregate whatever characters its parts contain. Positions start at 1 and versions at
 * 1, so their signed big-endian bytes sort like the numbers; so do the sequence numbers of parked
 * events, which also start at 1 and put a subscription's parked events in the order they were
 * first parked.
 */
final class Keys {
    static final byte[] FORMAT = "format".getBytes(StandardCharsets.US_ASCII);
    static final byte[] STORE_ID = "store-id".getBytes(StandardCharsets.US_ASCII);
    /** Formats 1 and 2 only: deleted when such a store is upgraded (see {@link Store#FORMAT}). */
    static final byte[] LAST_POSITION = "last-position".getBytes(StandardCharsets.US_ASCII);

    static final byte[] LAST_PARKED = "last-parked".getBytes(StandardCharsets.US_ASCII);

    private static final byte NO_ROUTING_KEY = 0;
    private static final byte ROUTING_KEY = 1;

    private Keys() {}

    /** The key of an event in the events column family. */
    static byte[] position(long position) {
        byte[] key = new byte[8];
        Bytes.writeLong(key, 0, position);
        return key;
    }

    /** The position at the end of an index key (or the whole key of the events column family). */
    static long positionAtEnd(byte[] key) {
        return Bytes.readLong(key, key.length - 8);
    }

    /** A prefix followed by a position: a key of the by-type, by-name and by-routing-key indexes. */
    static byte[] withPosition(byte[] prefix, long position) {
        byte[] key = new byte[prefix.length + 8];
        System.arraycopy(prefix, 0, key, 0, prefix.length);
        Bytes.writeLong(key, prefix.length, position);
        return key;
    }

    /** The prefix of one aggregate's keys in the aggregates column family. */
    static byte[] aggregate(String type, String id) {
        return new Bytes(2 * (type.length() + id.length()) + 8)
                .putString(type)
                .putString(id)
                .toArray();
    }

    /** An aggregate's prefix followed by a version. */
    static byte[] withVersion(byte[] aggregatePrefix, int version) {
        byte[] key = new byte[aggregatePrefix.length + 4];
        System.arraycopy(aggregatePrefix, 0, key, 0, aggregatePrefix.length);
        Bytes.writeInt(key, aggregatePrefix.length, version);
        return key;
    }

    /** The version at the end of an aggregates key. */
    static int versionAtEnd(byte[] key) {
        return Bytes.readInt(key, key.length - 4);
    }

    /** The prefix of one aggregate type in the by-type index. */
    static byte[] type(String type) {
        return new Bytes(2 * type.length() + 4).putString(type).toArray();
    }

    /** The prefix of one event name of one aggregate type in the by-name index. */
    static byte[] name(String type, String name) {
        return new Bytes(2 * (type.length() + name.length()) + 8)
                .putString(type)
                .putString(name)
                .toArray();
    }

    /** The prefix of one routing key, or of the events without one, in the by-routing-key index. */
    static byte[] routing(Optional<String> routingKey) {
        if (routingKey.isEmpty()) {
            return new byte[] {NO_ROUTING_KEY};
        }
        String key = routingKey.get();
        return new Bytes(2 * key.length() + 4)
                .putByte(ROUTING_KEY)
                .putString(key)
                .toArray();
    }

    /** A subscriber's key. */
    static byte[] subscriber(String key) {
        return new Bytes(2 * key.length() + 4).putString(key).toArray();
    }

    /** The prefix of one subscription's entries in the parked column family. */
    static byte[] parkedOf(String key) {
        return subscriber(key);
    }

    /** A parked event's key: its subscription, then the sequence number that orders it. */
    static byte[] parked(String key, long sequence) {
        return withPosition(parkedOf(key), sequence);
    }

    /** The sequence number at the end of a parked event's key. */
    static long sequenceAtEnd(byte[] key) {
        return positionAtEnd(key);
    }

    /** A parked event's key in the parked-by-event lookup. */
    static byte[] parkedEvent(String key, String eventId) {
        return new Bytes(2 * (key.length() + eventId.length()) + 8)
                .putString(key)
                .putString(eventId)
                .toArray();
    }

    /** A snapshot's key. */
    static byte[] snapshot(String projection, String type, String id) {
        return new Bytes(2 * (projection.length() + type.length() + id.length()) + 8)
                .putString(projection)
                .putString(type)
                .putString(id)
                .toArray();
    }
}
