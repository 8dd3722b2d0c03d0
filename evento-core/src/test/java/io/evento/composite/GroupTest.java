package io.evento.composite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.Aggregate;
import io.evento.AsOf;
import io.evento.Edge;
import io.evento.Event;
import io.evento.EventFilter;
import io.evento.Evento;
import io.evento.InvalidCursorException;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.Projection;
import io.evento.RoutingFilter;
import io.evento.memory.InMemoryExecutor;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GroupTest {

    @Aggregate("test/Note")
    sealed interface Note {
        record Written(String text) implements Note {}
    }

    /** A clock that moves one millisecond per reading, from a start the test chooses. */
    static final class SteppingClock extends Clock {
        private final AtomicLong millis;

        SteppingClock(long startMillis) {
            this.millis = new AtomicLong(startMillis);
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.incrementAndGet());
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    private final InMemoryExecutor first = InMemoryExecutor.create();
    private final InMemoryExecutor second = InMemoryExecutor.create();
    private final Group group = Group.of(first, second);
    private final Evento intoFirst = evento(group, 1_000_000);
    private final Evento intoSecond = evento(second, 1_000_000);

    @AfterEach
    void close() {
        group.close();
    }

    private static Evento evento(io.evento.spi.Executor executor, long startMillis) {
        return Evento.builder(executor)
                .register(Note.class)
                .clock(new SteppingClock(startMillis))
                .build();
    }

    private static void write(Evento evento, String text) {
        evento.create().event(new Note.Written(text)).commit();
    }

    private List<String> forwardAll(int size) {
        List<String> seen = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        while (true) {
            Page<StoredEvent> page =
                    group.read(ReadQuery.all(new PageRequest(PageRequest.Direction.FORWARD, size, cursor)));
            page.nodes().forEach(e -> seen.add(text(e)));
            if (!page.pageInfo().hasNextPage()) {
                return seen;
            }
            cursor = page.pageInfo().endCursor();
        }
    }

    private List<String> backwardAll(int size) {
        List<String> seen = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        while (true) {
            Page<StoredEvent> page =
                    group.read(ReadQuery.all(new PageRequest(PageRequest.Direction.BACKWARD, size, cursor)));
            seen.addAll(0, page.nodes().stream().map(this::text).toList());
            if (!page.pageInfo().hasPreviousPage()) {
                return seen;
            }
            cursor = page.pageInfo().startCursor();
        }
    }

    private String text(StoredEvent e) {
        return ((Note.Written) intoFirst.decode(e).data()).text();
    }

    @Test
    void members_interleave_by_commit_time_and_every_page_size_sees_every_event_once() {
        for (int i = 0; i < 6; i++) {
            write(intoFirst, "a" + i);
            write(intoSecond, "b" + i);
        }
        List<String> expected = List.of("a0", "b0", "a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4", "a5", "b5");
        for (int size = 1; size <= 13; size++) {
            assertThat(forwardAll(size)).as("forward, page size %d", size).isEqualTo(expected);
            assertThat(backwardAll(size)).as("backward, page size %d", size).isEqualTo(expected);
        }
    }

    @Test
    void a_reader_continues_each_member_where_it_stopped_even_when_a_member_commits_in_the_past() {
        write(intoFirst, "a0");
        write(intoFirst, "a1");
        Page<StoredEvent> page = group.read(ReadQuery.all(PageRequest.forward(10)));
        assertThat(page.nodes()).extracting(this::text).containsExactly("a0", "a1");

        // The second store's clock is far behind: its new events sort before everything read so far.
        // A single timestamp cursor would skip them; the group cursor holds the second member's place.
        Evento lagging = evento(second, 0);
        write(lagging, "b-old-0");
        write(lagging, "b-old-1");
        write(intoFirst, "a2");

        List<String> rest = new ArrayList<>();
        Optional<String> cursor = page.pageInfo().endCursor();
        while (true) {
            Page<StoredEvent> next =
                    group.read(ReadQuery.all(new PageRequest(PageRequest.Direction.FORWARD, 1, cursor)));
            next.nodes().forEach(e -> rest.add(text(e)));
            if (!next.pageInfo().hasNextPage()) {
                break;
            }
            cursor = next.pageInfo().endCursor();
        }
        assertThat(rest).containsExactlyInAnyOrder("b-old-0", "b-old-1", "a2");
        assertThat(rest.indexOf("b-old-0")).isLessThan(rest.indexOf("b-old-1"));
    }

    @Test
    void any_edge_cursor_reads_its_neighbours_in_both_directions() {
        for (int i = 0; i < 4; i++) {
            write(intoFirst, "a" + i);
            write(intoSecond, "b" + i);
        }
        Page<StoredEvent> all = group.read(ReadQuery.all(PageRequest.forward(100)));
        List<String> order = all.nodes().stream().map(this::text).toList();
        for (int i = 0; i < order.size(); i++) {
            String cursor = all.edges().get(i).cursor();
            assertThat(group.read(ReadQuery.all(PageRequest.forward(100, cursor)))
                            .nodes())
                    .extracting(this::text)
                    .as("after edge %d", i)
                    .isEqualTo(order.subList(i + 1, order.size()));
            assertThat(group.read(ReadQuery.all(PageRequest.backward(100, cursor)))
                            .nodes())
                    .extracting(this::text)
                    .as("before edge %d", i)
                    .isEqualTo(order.subList(0, i));
        }
    }

    @Test
    void a_filtered_backward_read_from_a_cursor_of_an_unfiltered_read_stays_before_it() {
        SteppingClock clock = new SteppingClock(5_000_000);
        Evento a = Evento.builder(group).register(Note.class).clock(clock).build();
        Evento b = Evento.builder(second).register(Note.class).clock(clock).build();
        String x = a.create().event(new Note.Written("x1")).commit();
        String other = b.create().event(new Note.Written("b1")).commit();
        a.create().event(new Note.Written("y1")).commit();
        b.aggregator(other).event(new Note.Written("b2")).commit();
        a.aggregator(x).event(new Note.Written("x2")).commit();
        List<Edge<StoredEvent>> all =
                group.read(ReadQuery.all(PageRequest.forward(10))).edges();
        assertThat(all).extracting(e -> text(e.node())).containsExactly("x1", "b1", "y1", "b2", "x2");
        String atB2 = all.get(3).cursor();

        Page<StoredEvent> before = group.read(new ReadQuery(
                List.of(new EventFilter.ById("test/Note", x)), RoutingFilter.ALL, PageRequest.backward(10, atB2)));

        assertThat(before.nodes()).extracting(this::text).containsExactly("x1");
        Projection<Integer> count = Projection.builder("count", Note.class, () -> 0)
                .on(Note.Written.class, (n, e) -> n + 1)
                .build();
        assertThat(a.load(count, x, AsOf.position(all.get(2).cursor()))
                        .orElseThrow()
                        .version())
                .isEqualTo(1);
        assertThat(a.load(count, x, AsOf.position(atB2)).orElseThrow().version())
                .isEqualTo(1);
        assertThat(a.load(count, x, AsOf.position(all.get(4).cursor()))
                        .orElseThrow()
                        .version())
                .isEqualTo(2);
    }

    @Test
    void writes_go_to_the_first_member_and_loads_find_the_member_holding_the_aggregate() {
        String inFirst = intoFirst.create().event(new Note.Written("one")).commit();
        String inSecond = intoSecond.create().event(new Note.Written("two")).commit();

        assertThat(first.lastEvent("test/Note", inFirst)).isPresent();
        assertThat(second.lastEvent("test/Note", inFirst)).isEmpty();
        assertThat(group.readAggregate("test/Note", inSecond, 0, 10))
                .extracting(StoredEvent::aggregatorId)
                .containsExactly(inSecond);
        assertThat(group.readAggregate("test/Note", inSecond, 1, 10)).isEmpty();
        assertThat(group.lastEvent("test/Note", inSecond)).isPresent();
        List<Event<?>> events =
                intoFirst.read(ReadQuery.all(PageRequest.forward(10))).nodes();
        assertThat(events).hasSize(2);
    }

    @Test
    void a_cursor_of_a_group_with_other_members_is_refused() {
        write(intoFirst, "a0");
        String cursor = group.read(ReadQuery.all(PageRequest.forward(1)))
                .pageInfo()
                .endCursor()
                .orElseThrow();
        try (Group bigger = Group.of(InMemoryExecutor.create(), InMemoryExecutor.create(), InMemoryExecutor.create());
                Group others = Group.of(InMemoryExecutor.create(), InMemoryExecutor.create())) {
            assertThatThrownBy(() -> bigger.read(ReadQuery.all(PageRequest.forward(1, cursor))))
                    .isInstanceOf(InvalidCursorException.class)
                    .hasMessageContaining("group of 2 members");
            assertThatThrownBy(() -> others.read(ReadQuery.all(PageRequest.forward(1, cursor))))
                    .isInstanceOf(InvalidCursorException.class)
                    .hasMessageContaining("another store");
        }
    }

    @Test
    void the_same_executor_twice_is_refused() {
        assertThatThrownBy(() -> Group.of(first, first)).isInstanceOf(IllegalArgumentException.class);
    }
}
