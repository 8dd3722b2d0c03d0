package io.evento.internal;

import com.github.f4b6a3.ulid.UlidCreator;

/** Monotonic ULIDs: ids generated in one process sort in creation order. */
public final class Ulids {
    private Ulids() {}

    /** A new ULID in its 26-character Crockford base32 form. */
    public static String next() {
        return UlidCreator.getMonotonicUlid().toString();
    }
}
