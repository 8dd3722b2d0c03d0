package io.evento.internal;

import io.evento.Edge;
import io.evento.Page;
import io.evento.PageRequest;
import java.util.List;

/**
 * A page of a read assembled from the edges an executor collected, the same way in every
 * executor.
 *
 * <p>An executor reads in the direction of the request: forward from the cursor, or backward
 * from it (newest first). To learn whether more events lie beyond the page without a second
 * query, it collects one edge more than the page holds ({@link #fetchSize}) and hands them all to
 * {@link #fromFetched}; or it stops at the page's size and says itself whether more were left
 * ({@link #of}). Either way the page's edges come out in ascending order, and its flags say:
 * forward, a previous page exists if the read started from a cursor, a next one if more were left;
 * backward, the other way round.
 *
 * <p>Internal: shared by the executors, not part of the API; it may change without notice.
 */
public final class Pages {
    private Pages() {}

    /**
     * How many edges to fetch for a page of {@code request}: one more than it holds, to learn
     * whether more follow.
     *
     * @param request the page asked for
     * @return {@code request.size() + 1}
     */
    public static int fetchSize(PageRequest request) {
        return request.size() + 1;
    }

    /**
     * The page of edges fetched in the direction of the request, up to {@link #fetchSize} of
     * them: the extra edge, if there is one, is dropped and says that more follow.
     *
     * @param request the page asked for
     * @param fetched the edges in read order (descending for a backward read), at most {@code
     *     fetchSize(request)}
     * @param <T> the item type
     * @return the page, edges in ascending order
     */
    public static <T> Page<T> fromFetched(PageRequest request, List<Edge<T>> fetched) {
        boolean more = fetched.size() > request.size();
        return of(request, more ? fetched.subList(0, request.size()) : fetched, more);
    }

    /**
     * The page of edges collected in the direction of the request.
     *
     * @param request the page asked for
     * @param edges the edges in read order (descending for a backward read), at most {@code
     *     request.size()}
     * @param more whether more edges were left beyond these, in the direction of the read
     * @param <T> the item type
     * @return the page, edges in ascending order
     */
    public static <T> Page<T> of(PageRequest request, List<Edge<T>> edges, boolean more) {
        boolean fromCursor = request.cursor().isPresent();
        if (request.isForward()) {
            return Page.of(edges, fromCursor, more);
        }
        return Page.of(edges.reversed(), more, fromCursor);
    }
}
