package io.evento;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A page of a read: its edges in ascending global order and where it sits in the log.
 *
 * @param edges the items with their cursors
 * @param pageInfo previous/next flags and the boundary cursors
 * @param <T> the item type
 */
public record Page<T>(List<Edge<T>> edges, PageInfo pageInfo) {
    /**
     * Validates the page.
     *
     * @param edges the items with their cursors
     * @param pageInfo previous/next flags and the boundary cursors
     */
    public Page {
        edges = List.copyOf(edges);
        Objects.requireNonNull(pageInfo, "pageInfo");
    }

    /**
     * Builds a page from the edges of a read, deriving the boundary cursors.
     *
     * @param edges the edges in ascending order
     * @param hasPreviousPage whether events exist before these
     * @param hasNextPage whether events exist after these
     * @param <T> the item type
     * @return the page
     */
    public static <T> Page<T> of(List<Edge<T>> edges, boolean hasPreviousPage, boolean hasNextPage) {
        Optional<String> start = edges.isEmpty()
                ? Optional.empty()
                : Optional.of(edges.getFirst().cursor());
        Optional<String> end =
                edges.isEmpty() ? Optional.empty() : Optional.of(edges.getLast().cursor());
        return new Page<>(edges, new PageInfo(hasPreviousPage, hasNextPage, start, end));
    }

    /**
     * The items without their cursors.
     *
     * @return the items in ascending order
     */
    public List<T> nodes() {
        return edges.stream().map(Edge::node).toList();
    }

    /**
     * Whether the page has no items.
     *
     * @return {@code true} when empty
     */
    public boolean isEmpty() {
        return edges.isEmpty();
    }

    /**
     * Transforms every item, keeping cursors and page info.
     *
     * @param mapper the transformation
     * @param <R> the new item type
     * @return the transformed page
     */
    public <R> Page<R> map(Function<? super T, ? extends R> mapper) {
        List<Edge<R>> mapped = edges.stream().<Edge<R>>map(e -> e.map(mapper)).toList();
        return new Page<>(mapped, pageInfo);
    }
}
