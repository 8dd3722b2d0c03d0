package io.evento.rocksdb;

import io.evento.StoreException;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import java.time.Instant;
import java.util.Optional;

/**
 * The values of the store: a small binary format of its own, one leading format byte per value so
 * a later release can change a layout and still read the old one. Numbers are big-endian, strings
 * and byte arrays length-prefixed ({@link Bytes}). Nothing here uses Java serialization.
 *
 * <pre>
 * event        1, id, type, aggregate id, version, name, routing?, timestamp, data, metadata
 * aggregate    1, position, routing?
 * subscriber   1, worker, token, expiry seconds, expiry nanos, cursor?
 * snapshot     1, revision, version, timestamp, data
 * </pre>
 *
 * <p>{@code x?} is a byte 0 (absent) or 1 followed by {@code x}.
 */
final class Records {
    static final int FORMAT = 1;

    private Records() {}

    /** What the aggregates column family holds per version: where the event is, and the aggregate's routing key. */
    record AggregateEntry(long position, Optional<String> routingKey) {}

    /**
     * A subscription's lease and checkpoint.
     *
     * @param cursor the checkpoint, {@code null} if nothing was acknowledged yet
     */
    record Subscriber(String workerId, long token, Instant expiresAt, String cursor) {}

    static byte[] event(StoredEvent e) {
        Bytes out = new Bytes(64
                        + 3
                                * (e.id().length()
                                        + e.aggregatorType().length()
                                        + e.aggregatorId().length())
                        + e.data().length
                        + e.metadata().length)
                .putByte(FORMAT)
                .putString(e.id())
                .putString(e.aggregatorType())
                .putString(e.aggregatorId())
                .putInt(e.version())
                .putString(e.name());
        optional(out, e.routingKey());
        return out.putLong(e.timestampMicros())
                .putBytes(e.data())
                .putBytes(e.metadata())
                .toArray();
    }

    static StoredEvent event(byte[] value) {
        Bytes.Reader in = reader(value, "event");
        String id = in.getString();
        String type = in.getString();
        String aggregateId = in.getString();
        int version = in.getInt();
        String name = in.getString();
        Optional<String> routingKey = optional(in);
        long timestamp = in.getLong();
        byte[] data = in.getBytes();
        byte[] metadata = in.getBytes();
        in.end();
        try {
            return new StoredEvent(id, type, aggregateId, version, name, routingKey, data, metadata, timestamp);
        } catch (IllegalArgumentException e) {
            throw new StoreException("corrupt event in the RocksDB store: " + e.getMessage(), e, false);
        }
    }

    static byte[] aggregateEntry(long position, Optional<String> routingKey) {
        Bytes out = new Bytes(16).putByte(FORMAT).putLong(position);
        optional(out, routingKey);
        return out.toArray();
    }

    static AggregateEntry aggregateEntry(byte[] value) {
        Bytes.Reader in = reader(value, "aggregate index entry");
        long position = in.getLong();
        Optional<String> routingKey = optional(in);
        in.end();
        return new AggregateEntry(position, routingKey);
    }

    static byte[] subscriber(Subscriber s) {
        Bytes out = new Bytes(64)
                .putByte(FORMAT)
                .putString(s.workerId())
                .putLong(s.token())
                .putLong(s.expiresAt().getEpochSecond())
                .putInt(s.expiresAt().getNano());
        optional(out, Optional.ofNullable(s.cursor()));
        return out.toArray();
    }

    static Subscriber subscriber(byte[] value) {
        Bytes.Reader in = reader(value, "subscriber");
        String workerId = in.getString();
        long token = in.getLong();
        long seconds = in.getLong();
        int nanos = in.getInt();
        Optional<String> cursor = optional(in);
        in.end();
        Instant expiresAt;
        try {
            expiresAt = Instant.ofEpochSecond(seconds, nanos);
        } catch (RuntimeException e) {
            throw in.corrupt("lease expiry out of range");
        }
        return new Subscriber(workerId, token, expiresAt, cursor.orElse(null));
    }

    static byte[] snapshot(StoredSnapshot s) {
        return new Bytes(32 + s.data().length)
                .putByte(FORMAT)
                .putString(s.revision())
                .putInt(s.version())
                .putLong(s.timestampMicros())
                .putBytes(s.data())
                .toArray();
    }

    static StoredSnapshot snapshot(String projection, String type, String id, byte[] value) {
        Bytes.Reader in = reader(value, "snapshot");
        String revision = in.getString();
        int version = in.getInt();
        long timestamp = in.getLong();
        byte[] data = in.getBytes();
        in.end();
        try {
            return new StoredSnapshot(projection, type, id, revision, version, data, timestamp);
        } catch (IllegalArgumentException e) {
            throw new StoreException("corrupt snapshot in the RocksDB store: " + e.getMessage(), e, false);
        }
    }

    private static Bytes.Reader reader(byte[] value, String record) {
        Bytes.Reader in = new Bytes.Reader(value, record);
        int format = in.getByte();
        if (format != FORMAT) {
            throw new StoreException(
                    "the RocksDB store holds a " + record + " in format " + format
                            + ", which this release cannot read (it reads format " + FORMAT + ")",
                    null,
                    false);
        }
        return in;
    }

    private static void optional(Bytes out, Optional<String> value) {
        if (value.isPresent()) {
            out.putByte(1).putString(value.get());
        } else {
            out.putByte(0);
        }
    }

    private static Optional<String> optional(Bytes.Reader in) {
        return switch (in.getByte()) {
            case 0 -> Optional.empty();
            case 1 -> Optional.of(in.getString());
            default -> throw in.corrupt("bad presence flag");
        };
    }
}
