package io.evento;

import java.util.Objects;
import java.util.Optional;

/**
 * Which page of events to read, Relay style: the {@code first} events after a cursor, or the
 * {@code last} events before one.
 *
 * <p>Events in a page are always in ascending global order, whichever the direction. Cursors are
 * the opaque strings found in {@link Edge#cursor()} and {@link PageInfo}.
 *
 * @param direction forward or backward
 * @param size the maximum number of events, from 1 to {@value Limits#PAGE_MAX_SIZE}
 * @param cursor exclusive bound: read after it (forward) or before it (backward); empty for the
 *     start (forward) or the end (backward) of the log
 */
public record PageRequest(Direction direction, int size, Optional<String> cursor) {

    /** The direction of a read. */
    public enum Direction {
        /** Oldest first, starting after the cursor. */
        FORWARD,
        /** Newest first, starting before the cursor; the page itself is still in ascending order. */
        BACKWARD
    }

    /**
     * Validates the request.
     *
     * @param direction forward or backward
     * @param size the maximum number of events
     * @param cursor exclusive bound
     */
    public PageRequest {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(cursor, "cursor");
        if (size < 1 || size > Limits.PAGE_MAX_SIZE) {
            throw new IllegalArgumentException(
                    "page size must be between 1 and " + Limits.PAGE_MAX_SIZE + ", was " + size);
        }
        cursor.ifPresent(c -> {
            if (c.isEmpty()) {
                throw new InvalidCursorException("cursor is empty");
            }
        });
    }

    /**
     * The first {@code first} events of the log.
     *
     * @param first page size
     * @return the request
     */
    public static PageRequest forward(int first) {
        return new PageRequest(Direction.FORWARD, first, Optional.empty());
    }

    /**
     * The first {@code first} events after {@code after}.
     *
     * @param first page size
     * @param after an end cursor of a previous page
     * @return the request
     */
    public static PageRequest forward(int first, String after) {
        return new PageRequest(Direction.FORWARD, first, Optional.of(Objects.requireNonNull(after, "after")));
    }

    /**
     * The last {@code last} events of the log.
     *
     * @param last page size
     * @return the request
     */
    public static PageRequest backward(int last) {
        return new PageRequest(Direction.BACKWARD, last, Optional.empty());
    }

    /**
     * The last {@code last} events before {@code before}.
     *
     * @param last page size
     * @param before a start cursor of a previous page
     * @return the request
     */
    public static PageRequest backward(int last, String before) {
        return new PageRequest(Direction.BACKWARD, last, Optional.of(Objects.requireNonNull(before, "before")));
    }

    /**
     * Whether this request reads forward.
     *
     * @return {@code true} for forward reads
     */
    public boolean isForward() {
        return direction == Direction.FORWARD;
    }
}
