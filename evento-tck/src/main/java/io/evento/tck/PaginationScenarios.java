package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.Event;
import io.evento.EventFilter;
import io.evento.Limits;
import io.evento.Page;
import io.evento.PageInfo;
import io.evento.PageRequest;
import io.evento.RoutingFilter;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Relay-style pages over the global log, in both directions.
 *
 * <p>Run by {@link ExecutorTck} as its {@code Pagination} group.
 */
abstract class PaginationScenarios extends Scenarios {
    PaginationScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void an_empty_store_reads_as_an_empty_page_in_both_directions() {
        for (PageRequest request : List.of(PageRequest.forward(10), PageRequest.backward(10))) {
            Page<StoredEvent> page = store().read(ReadQuery.all(request));
            assertThat(page.edges()).as("%s", request).isEmpty();
            assertThat(page.pageInfo())
                    .as("%s", request)
                    .isEqualTo(new PageInfo(false, false, Optional.empty(), Optional.empty()));
            assertThat(evento().read(ReadQuery.of(request, EventFilter.type(Account.class)))
                            .edges())
                    .isEmpty();
        }
    }

    @Test
    void paging_forward_returns_every_event_once_in_commit_order_for_every_page_size() {
        int n = 20;
        List<Long> expected = seedDeposits(n);

        for (int size : List.of(1, 2, 3, 4, 5, 7, 10, 19, 20, 21, 100)) {
            Walk walk = walkForward(List.of(), RoutingFilter.ALL, size);
            assertThat(amounts(walk.events())).as("page size %d", size).isEqualTo(expected);
            assertThat(walk.pages()).as("pages of size %d", size).isEqualTo((n + size - 1) / size);
        }
    }

    @Test
    void paging_backward_returns_the_same_events_as_paging_forward() {
        int n = 20;
        List<Long> expected = seedDeposits(n);

        for (int size : List.of(1, 2, 3, 4, 5, 7, 10, 19, 20, 21, 100)) {
            Walk walk = walkBackward(List.of(), RoutingFilter.ALL, size);
            assertThat(amounts(walk.events())).as("page size %d", size).isEqualTo(expected);
            assertThat(walk.pages()).as("pages of size %d", size).isEqualTo((n + size - 1) / size);
        }
    }

    @Test
    void paging_forward_then_backward_yields_the_same_sequence_as_the_log_grows() {
        List<Long> expected = new ArrayList<>();
        for (int n = 0; n <= 13; n++) {
            for (int size = 1; size <= 6; size++) {
                Walk forward = walkForward(List.of(), RoutingFilter.ALL, size);
                Walk backward = walkBackward(List.of(), RoutingFilter.ALL, size);
                assertThat(amounts(forward.events()))
                        .as("forward, n=%d size=%d", n, size)
                        .isEqualTo(expected);
                assertThat(ids(backward.events()))
                        .as("backward, n=%d size=%d", n, size)
                        .isEqualTo(ids(forward.events()));
            }
            long next = n + 1;
            evento().aggregator("grow-" + (n % 4))
                    .event(new Account.Deposited(next))
                    .commit();
            expected.add(next);
        }
    }

    @Test
    void a_page_read_from_any_cursor_holds_the_neighbouring_events() {
        int n = 17;
        seedDeposits(n);
        Page<StoredEvent> all = store().read(ReadQuery.all(PageRequest.forward(100)));
        List<String> ids = all.nodes().stream().map(StoredEvent::id).toList();
        assertThat(ids).hasSize(n);

        for (int i = 0; i < n; i++) {
            String cursor = all.edges().get(i).cursor();
            for (int size : List.of(1, 2, 3, 5, 16, 17, 20)) {
                Page<StoredEvent> after = store().read(ReadQuery.all(PageRequest.forward(size, cursor)));
                assertThat(after.nodes())
                        .as("forward(%d) after #%d", size, i)
                        .extracting(StoredEvent::id)
                        .containsExactlyElementsOf(ids.subList(i + 1, Math.min(n, i + 1 + size)));
                assertThat(after.pageInfo().hasNextPage())
                        .as("hasNextPage of forward(%d) after #%d", size, i)
                        .isEqualTo(n - 1 - i > size);
                assertThat(after.pageInfo().hasPreviousPage()).isTrue();
                assertBoundaryCursors(after);

                Page<StoredEvent> before = store().read(ReadQuery.all(PageRequest.backward(size, cursor)));
                assertThat(before.nodes())
                        .as("backward(%d) before #%d", size, i)
                        .extracting(StoredEvent::id)
                        .containsExactlyElementsOf(ids.subList(Math.max(0, i - size), i));
                assertThat(before.pageInfo().hasPreviousPage())
                        .as("hasPreviousPage of backward(%d) before #%d", size, i)
                        .isEqualTo(i > size);
                assertThat(before.pageInfo().hasNextPage()).isTrue();
                assertBoundaryCursors(before);
            }
        }
    }

    @Test
    void forward_from_the_last_events_cursor_is_an_empty_last_page() {
        seedDeposits(5);
        Page<StoredEvent> all = store().read(ReadQuery.all(PageRequest.forward(5)));
        assertThat(all.pageInfo().hasNextPage()).isFalse();
        String last = all.pageInfo().endCursor().orElseThrow();

        Page<StoredEvent> page = store().read(ReadQuery.all(PageRequest.forward(5, last)));

        assertThat(page.edges()).isEmpty();
        assertThat(page.pageInfo()).isEqualTo(new PageInfo(true, false, Optional.empty(), Optional.empty()));
    }

    @Test
    void backward_from_the_first_events_cursor_is_an_empty_first_page() {
        seedDeposits(5);
        Page<StoredEvent> all = store().read(ReadQuery.all(PageRequest.backward(5)));
        assertThat(all.pageInfo().hasPreviousPage()).isFalse();
        assertThat(all.pageInfo().hasNextPage()).isFalse();
        String first = all.pageInfo().startCursor().orElseThrow();

        Page<StoredEvent> page = store().read(ReadQuery.all(PageRequest.backward(5, first)));

        assertThat(page.edges()).isEmpty();
        assertThat(page.pageInfo()).isEqualTo(new PageInfo(false, true, Optional.empty(), Optional.empty()));
    }

    @Test
    void backward_without_a_cursor_reads_the_latest_events_in_ascending_order() {
        List<Long> expected = seedDeposits(10);

        Page<Event<?>> page = evento().read(ReadQuery.all(PageRequest.backward(3)));

        assertThat(amounts(page.nodes())).isEqualTo(expected.subList(7, 10));
        assertThat(page.pageInfo().hasPreviousPage()).isTrue();
        assertThat(page.pageInfo().hasNextPage()).isFalse();
    }

    @Test
    void a_reader_at_the_end_sees_the_events_committed_after_its_cursor() {
        seedDeposits(3);
        String end = store().read(ReadQuery.all(PageRequest.forward(10)))
                .pageInfo()
                .endCursor()
                .orElseThrow();
        String id = evento().create().event(new Account.Opened("late", 0)).commit();
        evento().aggregator("acc-0").event(new Account.Deposited(99)).commit();

        Page<Event<?>> page = evento().read(ReadQuery.all(PageRequest.forward(10, end)));

        assertThat(payloads(page.nodes())).containsExactly(new Account.Opened("late", 0), new Account.Deposited(99));
        assertThat(page.nodes().getFirst().aggregatorId()).isEqualTo(id);
        assertThat(page.pageInfo().hasNextPage()).isFalse();
        assertThat(evento().read(ReadQuery.all(PageRequest.forward(
                                10, page.pageInfo().endCursor().orElseThrow())))
                        .edges())
                .isEmpty();
    }

    @Test
    void page_sizes_outside_the_limits_are_refused() {
        assertThatThrownBy(() -> PageRequest.forward(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PageRequest.backward(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PageRequest.forward(Limits.PAGE_MAX_SIZE + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store().readAggregate(ACCOUNT_TYPE, "a", 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store().readAggregate(ACCOUNT_TYPE, "a", 0, Limits.PAGE_MAX_SIZE + 1))
                .isInstanceOf(IllegalArgumentException.class);
        seedDeposits(2);
        assertThat(store().read(ReadQuery.all(PageRequest.forward(Limits.PAGE_MAX_SIZE)))
                        .edges())
                .hasSize(2);
    }
}
