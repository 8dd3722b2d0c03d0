package io.evento;

import java.time.Instant;
import java.util.Objects;

/**
 * A point in an aggregate's past to load it at: "what did this account look like last Tuesday?"
 *
 * <pre>{@code
 * evento.load(BALANCE, accountId, AsOf.version(12));
 * evento.load(BALANCE, accountId, AsOf.time(Instant.parse("2026-11-17T23:59:59Z")));
 * evento.load(BALANCE, accountId, AsOf.position(subscription.status().getFirst().cursor().orElseThrow()));
 * }</pre>
 *
 * <p>A snapshot is used only if it is not newer than the point. The {@link Loaded} of a past state
 * is read-only in spirit: appending to it fails with a {@link ConcurrencyException} unless it is
 * the aggregate's latest version.
 */
public sealed interface AsOf {

    /**
     * The aggregate after the event with this version (or its latest version, if lower).
     *
     * @param version from 1
     * @return the point
     */
    static AsOf version(int version) {
        return new Version(version);
    }

    /**
     * The aggregate after the last of its events committed at or before {@code time}.
     *
     * @param time the time
     * @return the point
     */
    static AsOf time(Instant time) {
        return new Time(time);
    }

    /**
     * The aggregate as a reader of the global log saw it after reading the event at {@code cursor}:
     * its events at or before that position.
     *
     * @param cursor a cursor of this store, from a page's {@link Edge#cursor()} or a subscription's
     *     checkpoint
     * @return the point
     */
    static AsOf position(String cursor) {
        return new Position(cursor);
    }

    /**
     * Up to an aggregate version.
     *
     * @param version from 1
     */
    record Version(int version) implements AsOf {
        /**
         * Validates the version.
         *
         * @param version from 1
         */
        public Version {
            if (version < 1) {
                throw new IllegalArgumentException("version must be at least 1, was " + version);
            }
        }
    }

    /**
     * Up to a commit time.
     *
     * @param time the time
     */
    record Time(Instant time) implements AsOf {
        /**
         * Validates the time.
         *
         * @param time the time
         */
        public Time {
            Objects.requireNonNull(time, "time");
        }
    }

    /**
     * Up to a position of the global log.
     *
     * @param cursor the position's cursor
     */
    record Position(String cursor) implements AsOf {
        /**
         * Validates the cursor.
         *
         * @param cursor the cursor
         */
        public Position {
            io.evento.internal.Validation.cursor(cursor);
        }
    }
}
