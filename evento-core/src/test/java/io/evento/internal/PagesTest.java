package io.evento.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.Edge;
import io.evento.Page;
import io.evento.PageRequest;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PagesTest {

    private static List<Edge<Integer>> edges(int... positions) {
        return IntStream.of(positions).mapToObj(p -> new Edge<>(p, "c" + p)).toList();
    }

    @Test
    void a_page_fetches_one_edge_more_than_it_holds() {
        assertThat(Pages.fetchSize(PageRequest.forward(10))).isEqualTo(11);
    }

    @Test
    void a_first_forward_page_with_an_extra_edge_drops_it_and_has_a_next_page() {
        Page<Integer> page = Pages.fromFetched(PageRequest.forward(2), edges(1, 2, 3));

        assertThat(page.nodes()).containsExactly(1, 2);
        assertThat(page.pageInfo().hasPreviousPage()).isFalse();
        assertThat(page.pageInfo().hasNextPage()).isTrue();
        assertThat(page.pageInfo().startCursor()).contains("c1");
        assertThat(page.pageInfo().endCursor()).contains("c2");
    }

    @Test
    void a_forward_page_from_a_cursor_without_an_extra_edge_has_a_previous_page_and_no_next() {
        Page<Integer> page = Pages.fromFetched(PageRequest.forward(2, "c3"), edges(4, 5));

        assertThat(page.nodes()).containsExactly(4, 5);
        assertThat(page.pageInfo().hasPreviousPage()).isTrue();
        assertThat(page.pageInfo().hasNextPage()).isFalse();
    }

    @Test
    void a_backward_page_fetched_newest_first_comes_out_in_ascending_order() {
        Page<Integer> page = Pages.fromFetched(PageRequest.backward(2), edges(9, 8, 7));

        assertThat(page.nodes()).containsExactly(8, 9);
        assertThat(page.pageInfo().hasPreviousPage()).isTrue();
        assertThat(page.pageInfo().hasNextPage()).isFalse();
        assertThat(page.pageInfo().startCursor()).contains("c8");
        assertThat(page.pageInfo().endCursor()).contains("c9");
    }

    @Test
    void a_backward_page_from_a_cursor_has_a_next_page_and_a_previous_one_only_if_more_were_left() {
        Page<Integer> page = Pages.fromFetched(PageRequest.backward(3, "c5"), edges(4, 3));

        assertThat(page.nodes()).containsExactly(3, 4);
        assertThat(page.pageInfo().hasPreviousPage()).isFalse();
        assertThat(page.pageInfo().hasNextPage()).isTrue();
    }

    @Test
    void an_empty_read_is_an_empty_page() {
        Page<Integer> forward = Pages.fromFetched(PageRequest.forward(5), List.of());
        Page<Integer> backward = Pages.fromFetched(PageRequest.backward(5, "c1"), List.of());

        assertThat(forward.isEmpty()).isTrue();
        assertThat(forward.pageInfo().hasPreviousPage()).isFalse();
        assertThat(forward.pageInfo().hasNextPage()).isFalse();
        assertThat(backward.isEmpty()).isTrue();
        assertThat(backward.pageInfo().hasPreviousPage()).isFalse();
        assertThat(backward.pageInfo().hasNextPage()).isTrue();
    }

    @Test
    void edges_collected_up_to_the_size_give_the_same_page_as_edges_fetched_with_one_more() {
        for (PageRequest request : List.of(
                PageRequest.forward(2),
                PageRequest.forward(2, "c0"),
                PageRequest.backward(2),
                PageRequest.backward(2, "c9"))) {
            for (List<Edge<Integer>> fetched : List.of(edges(), edges(1), edges(1, 2), edges(1, 2, 3))) {
                boolean more = fetched.size() > request.size();
                List<Edge<Integer>> collected = more ? fetched.subList(0, request.size()) : fetched;

                assertThat(Pages.of(request, collected, more))
                        .as("%s %s", request, fetched)
                        .isEqualTo(Pages.fromFetched(request, fetched));
            }
        }
    }
}
