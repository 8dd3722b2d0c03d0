package io.evento.rocksdb;

import io.evento.StoreException;
import io.evento.spi.ParkedEvent;
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
 * subscriber   2, worker?, token, expiry seconds, expiry nanos, cursor?, paused
 *              1, worker, token, expiry seconds, expiry nanos, cursor?          (read only)
 * snapshot     1, revision, version, timestamp, data
 * parked       1, event id, type, aggregate id, version, error, attempts, parked seconds, parked nanos
 * parked slot  1, sequence
 * </pre>
 *
 * <p>{@code x?} is a byte 0 (absent) or 1 followed by {@code x}; a flag is a byte 0 or 1.
 *
 * <p>Subscribers are written in format 2 since the store's format 2 (see {@link Store#FORMAT}), which
 * brought pausing and revoking a lease ("no worker"); records of format 1, left by the previous
 * release, are still read (not paused, their worker present) and rewritten in format 2 by their
 * next change.
 */
final class Records {
    /** The format of every record but subscribers. */
    static final int FORMAT = 1;

    /** The format subscribers are written in. */
    static final int SUBSCRIBER_FORMAT = 2;

    private static final int SUBSCRIBER_FORMAT_1 = 1;

    private Records() {}

    /** What the aggregates column family holds per version: where the event is, and the aggregate's routing key. */
    record AggregateEntry(long position, Optional<String> routingKey) {}

    /**
     * A subscription's lease, checkpoint and paused flag.
     *
     * @param workerId the worker that holds or last held the lease, {@code null} if nobody has or
     *     since a reset revoked it
     * @param expiresAt when that lease lapses; {@link Instant#EPOCH} once released or revoked
     * @param cursor the checkpoint, {@code null} if nothing was acknowledged yet
     * @param paused whether nobody may take or renew the lease
     */
    record Subscriber(String workerId, long token, Instant expiresAt, String cursor, boolean paused) {
        /** The record of a key that was never leased, reset or paused. */
        static final Subscriber NEW = new Subscriber(null, 0, Instant.EPOCH, null, false);
    }

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
        Bytes out = new Bytes(64).putByte(SUBSCRIBER_FORMAT);
        optional(out, Optional.ofNullable(s.workerId()));
        out.putLong(s.token())
                .putLong(s.expiresAt().getEpochSecond())
                .putInt(s.expiresAt().getNano());
        optional(out, Optional.ofNullable(s.cursor()));
        return out.putByte(s.paused() ? 1 : 0).toArray();
    }

    static Subscriber subscriber(byte[] value) {
        Bytes.Reader in = new Bytes.Reader(value, "subscriber");
        int format = in.getByte();
        if (format != SUBSCRIBER_FORMAT && format != SUBSCRIBER_FORMAT_1) {
            throw unreadable("subscriber", format, SUBSCRIBER_FORMAT_1 + " and " + SUBSCRIBER_FORMAT);
        }
        // Format 1 always had a worker: a record existed only once a lease had been taken.
        String workerId =
                format == SUBSCRIBER_FORMAT_1 ? in.getString() : optional(in).orElse(null);
        long token = in.getLong();
        Instant expiresAt = instant(in, "lease expiry");
        Optional<String> cursor = optional(in);
        boolean paused = format == SUBSCRIBER_FORMAT_1 ? false : flag(in);
        in.end();
        return new Subscriber(workerId, token, expiresAt, cursor.orElse(null), paused);
    }

    static byte[] parked(ParkedEvent e) {
        return new Bytes(64
                        + 3
                                * (e.eventId().length()
                                        + e.aggregatorType().length()
                                        + e.aggregatorId().length())
                        + 3 * e.error().length())
                .putByte(FORMAT)
                .putString(e.eventId())
                .putString(e.aggregatorType())
                .putString(e.aggregatorId())
                .putInt(e.version())
                .putString(e.error())
                .putInt(e.attempts())
                .putLong(e.parkedAt().getEpochSecond())
                .putInt(e.parkedAt().getNano())
                .toArray();
    }

    static ParkedEvent parked(String key, byte[] value) {
        Bytes.Reader in = reader(value, "parked event");
        String eventId = in.getString();
        String type = in.getString();
        String aggregateId = in.getString();
        int version = in.getInt();
        String error = in.getString();
        int attempts = in.getInt();
        Instant parkedAt = instant(in, "parked time");
        in.end();
        try {
            return new ParkedEvent(key, eventId, type, aggregateId, version, error, attempts, parkedAt);
        } catch (IllegalArgumentException e) {
            throw new StoreException("corrupt parked event in the RocksDB store: " + e.getMessage(), e, false);
        }
    }

    static byte[] parkedSlot(long sequence) {
        return new Bytes(9).putByte(FORMAT).putLong(sequence).toArray();
    }

    static long parkedSlot(byte[] value) {
        Bytes.Reader in = reader(value, "parked event slot");
        long sequence = in.getLong();
        in.end();
        return sequence;
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
            throw unreadable(record, format, Integer.toString(FORMAT));
        }
        return in;
    }

    private static StoreException unreadable(String record, int format, String readable) {
        return new StoreException(
                "the RocksDB store holds a " + record + " in format " + format
                        + ", which this release cannot read (it reads format " + readable + ")",
                null,
                false);
    }

    private static Instant instant(Bytes.Reader in, String what) {
        long seconds = in.getLong();
        int nanos = in.getInt();
        try {
            return Instant.ofEpochSecond(seconds, nanos);
        } catch (RuntimeException e) {
            throw in.corrupt(what + " out of range");
        }
    }

    private static boolean flag(Bytes.Reader in) {
        return switch (in.getByte()) {
            case 0 -> false;
            case 1 -> true;
            default -> throw in.corrupt("bad flag");
        };
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
