package io.evento;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One item of a {@link Page} with the cursor that points at it.
 *
 * <p>Two edges are equal when their items and cursors are. An executor may create an edge whose
 * cursor is encoded only when {@link #cursor()} is first called ({@link #lazy}): a catch-up reads
 * many pages and needs the cursor of one edge per page.
 *
 * @param <T> the item type
 */
public final class Edge<T> {
    private final T node;
    /** The cursor given to the constructor: final, so safely published with the edge. */
    private final String given;

    private final Supplier<String> encoder;
    /** The encoded cursor of a lazy edge, once asked for. */
    private String encoded;

    /**
     * An edge.
     *
     * @param node the item
     * @param cursor its cursor
     */
    public Edge(T node, String cursor) {
        this.node = Objects.requireNonNull(node, "node");
        this.given = Objects.requireNonNull(cursor, "cursor");
        this.encoder = null;
    }

    private Edge(T node, Supplier<String> encoder) {
        this.node = Objects.requireNonNull(node, "node");
        this.given = null;
        this.encoder = Objects.requireNonNull(encoder, "encoder");
    }

    /**
     * An edge whose cursor is encoded on first use, for executors. {@code encoder} must be cheap to
     * hold, return the same cursor every time, and be safe to call from any thread.
     *
     * @param node the item
     * @param encoder makes its cursor
     * @param <T> the item type
     * @return the edge
     */
    public static <T> Edge<T> lazy(T node, Supplier<String> encoder) {
        return new Edge<>(node, encoder);
    }

    /**
     * The item.
     *
     * @return the item
     */
    @JsonProperty("node")
    public T node() {
        return node;
    }

    /**
     * An opaque, URL-safe cursor: pass it to {@link PageRequest#forward(int, String)} to read what
     * follows this item, or to {@link PageRequest#backward(int, String)} for what precedes it.
     *
     * @return the cursor
     */
    @JsonProperty("cursor")
    public String cursor() {
        if (given != null) {
            return given;
        }
        String c = encoded;
        if (c == null) {
            // Two threads may both encode it; they get equal strings, and a String is safe to
            // publish through a race.
            c = Objects.requireNonNull(encoder.get(), "the edge's encoder returned null");
            encoded = c;
        }
        return c;
    }

    /**
     * This edge with its item mapped, pointing at the same place (its cursor is still encoded only
     * on first use).
     *
     * @param mapper maps the item
     * @param <R> the new item type
     * @return the new edge
     */
    public <R> Edge<R> map(Function<? super T, ? extends R> mapper) {
        R mapped = mapper.apply(node);
        String c = given != null ? given : encoded;
        return c != null ? new Edge<>(mapped, c) : new Edge<>(mapped, encoder);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Edge<?> e && node.equals(e.node) && cursor().equals(e.cursor());
    }

    @Override
    public int hashCode() {
        return 31 * node.hashCode() + cursor().hashCode();
    }

    @Override
    public String toString() {
        return "Edge[node=" + node + ", cursor=" + cursor() + "]";
    }
}
