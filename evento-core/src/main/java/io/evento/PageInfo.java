package io.evento;

import java.util.Objects;
import java.util.Optional;

/**
 * Where a {@link Page} sits in the log.
 *
 * <p>For a forward read, {@code hasNextPage} is exact and {@code hasPreviousPage} tells whether the
 * read started after a cursor. For a backward read, {@code hasPreviousPage} is exact and {@code
 * hasNextPage} tells whether it started before a cursor. This is what Relay's connection spec asks.
 *
 * @param hasPreviousPage whether events exist before this page
 * @param hasNextPage whether events exist after this page
 * @param startCursor the cursor of the first edge, empty when the page is empty
 * @param endCursor the cursor of the last edge, empty when the page is empty
 */
public record PageInfo(
        boolean hasPreviousPage, boolean hasNextPage, Optional<String> startCursor, Optional<String> endCursor) {
    /**
     * Validates the page info.
     *
     * @param hasPreviousPage whether events exist before this page
     * @param hasNextPage whether events exist after this page
     * @param startCursor the cursor of the first edge
     * @param endCursor the cursor of the last edge
     */
    public PageInfo {
        Objects.requireNonNull(startCursor, "startCursor");
        Objects.requireNonNull(endCursor, "endCursor");
    }
}
