package io.evento.internal;

import com.github.f4b6a3.ulid.UlidCreator;

/**
 * Monotonic ULIDs: ids generated in one process sort in creation order.
 *
 * <p>Internal: not part of the API; it may change without notice.
 */
public final class Ulids {
    private Ulids() {}

    /** A new ULID in its 26-character Crockford base32 form. */
    public static String next() {
        return UlidCreator.getMonotonicUlid().toString();
    }
}
