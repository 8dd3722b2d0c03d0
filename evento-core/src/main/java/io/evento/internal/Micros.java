package io.evento.internal;

import java.time.Instant;

/**
 * Commit times as stored: microseconds since the epoch. One conversion each way, used everywhere.
 *
 * <p>Internal: not part of the API; it may change without notice.
 */
public final class Micros {
    private Micros() {}

    /** The microseconds of an instant (sub-microsecond precision dropped). */
    public static long of(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }

    /** The instant of a count of microseconds. */
    public static Instant toInstant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }
}
