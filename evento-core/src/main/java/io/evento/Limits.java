package io.evento;

/**
 * Size limits that every executor enforces in the same way, before anything is written.
 *
 * <p>Strings longer than these, or containing a NUL character, are rejected with an {@link
 * IllegalArgumentException} naming the field; the store is left unchanged.
 */
public final class Limits {
    /** Maximum length of aggregate types, event names, routing keys, subscription and projection keys. */
    public static final int NAME_MAX_LENGTH = 100;

    /** Maximum length of an aggregate id. */
    public static final int ID_MAX_LENGTH = 100;

    /** Maximum length of a cursor stored as a subscription checkpoint. */
    public static final int CURSOR_MAX_LENGTH = 4_096;

    /** Maximum number of events in one page of a read. */
    public static final int PAGE_MAX_SIZE = 10_000;

    /** Maximum length of the error stored with a parked event; longer messages are cut by the caller. */
    public static final int ERROR_MAX_LENGTH = 4_000;

    /** Maximum number of events in one commit. */
    public static final int COMMIT_MAX_EVENTS = 10_000;

    private Limits() {}
}
