package io.evento.internal;

import io.evento.Limits;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import java.util.Objects;

/**
 * The one place where strings bound for storage are checked, so every executor rejects the same
 * inputs with the same messages before touching its store.
 *
 * <p>Internal: not part of the API; it may change without notice.
 */
public final class Validation {
    private Validation() {}

    /** Checks an aggregate type, event name, routing key or other short key. */
    public static String name(String field, String value) {
        return check(field, value, Limits.NAME_MAX_LENGTH);
    }

    /** Checks an aggregate or event id. */
    public static String id(String field, String value) {
        return check(field, value, Limits.ID_MAX_LENGTH);
    }

    /** Checks a cursor to be stored as a checkpoint; its content is the reading executor's business. */
    public static String cursor(String value) {
        return check("cursor", value, Limits.CURSOR_MAX_LENGTH);
    }

    private static String check(String field, String value, int max) {
        Objects.requireNonNull(value, field);
        if (value.isEmpty()) {
            throw new IllegalArgumentException(field + " must not be empty");
        }
        if (value.length() > max) {
            throw new IllegalArgumentException(field + " is " + value.length() + " characters long, the maximum is "
                    + max + ": '" + abbreviate(value) + "'");
        }
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(field + " must not contain NUL characters: '" + abbreviate(value) + "'");
        }
        return value;
    }

    private static String abbreviate(String value) {
        String printable = value.replace("\0", "\\0");
        return printable.length() <= 40 ? printable : printable.substring(0, 37) + "...";
    }

    /** Checks a page or batch size. */
    public static int limit(String field, int value, int max) {
        if (value < 1 || value > max) {
            throw new IllegalArgumentException(field + " must be between 1 and " + max + ", was " + value);
        }
        return value;
    }

    /** Checks that a parked event is parked under the key of the lease presenting it. */
    public static void parkedUnder(Lease lease, ParkedEvent event) {
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(event, "event");
        if (!lease.key().equals(event.key())) {
            throw new IllegalArgumentException(
                    "the lease is for '" + lease.key() + "' but the parked event for '" + event.key() + "'");
        }
    }
}
