package io.evento;

import java.util.Objects;

/**
 * One item of a {@link Page} with the cursor that points at it.
 *
 * @param node the item
 * @param cursor an opaque, URL-safe cursor: pass it to {@link PageRequest#forward(int, String)} to
 *     read what follows this item, or to {@link PageRequest#backward(int, String)} for what precedes
 * @param <T> the item type
 */
public record Edge<T>(T node, String cursor) {
    /**
     * Validates the edge.
     *
     * @param node the item
     * @param cursor its cursor
     */
    public Edge {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(cursor, "cursor");
    }
}
