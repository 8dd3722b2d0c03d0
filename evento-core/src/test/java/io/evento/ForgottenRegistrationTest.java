package io.evento;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.memory.InMemoryExecutor;
import io.evento.spi.ReadQuery;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A forgotten {@code register(..)} is an {@link IllegalArgumentException} naming what to register
 * at every entry point, never an empty state or an empty page (issue 17, section 2).
 */
class ForgottenRegistrationTest {

    @Aggregate("test/Counter")
    sealed interface Counter {
        record Added(int n) implements Counter {}
    }

    @Aggregate("test/Note")
    sealed interface Note {
        record Written(String text) implements Note {}
    }

    private static final Projection<Integer> NOTES = Projection.builder("notes", Note.class, () -> 0)
            .on(Note.Written.class, (n, e) -> n + 1)
            .build();

    private final InMemoryExecutor executor = InMemoryExecutor.create();
    /** Knows both families: it wrote the events. */
    private Evento writer;
    /** Knows only {@link Counter}: a {@code register(Note.class)} was forgotten. */
    private Evento forgetful;

    private String note;
    private String counter;

    @BeforeEach
    void writeEventsOfBothFamilies() {
        writer = Evento.builder(executor).register(Counter.class, Note.class).build();
        forgetful = Evento.builder(executor).register(Counter.class).build();
        note = writer.create().event(new Note.Written("hello")).commit();
        counter = writer.create().event(new Counter.Added(1)).commit();
    }

    @AfterEach
    void close() {
        executor.close();
    }

    @Test
    void loading_a_projection_over_an_unregistered_family_is_refused_not_an_empty_state() {
        assertThat(writer.load(NOTES, note)).get().extracting(Loaded::state).isEqualTo(1);

        assertNamesNote(() -> forgetful.load(NOTES, note));
        assertNamesNote(() -> forgetful.load(NOTES, note, AsOf.version(1)));
        assertNamesNote(() -> forgetful.load(NOTES, note, AggregateRef.of(Counter.class, counter)));
    }

    @Test
    void a_snapshot_of_a_projection_over_an_unregistered_family_is_refused() {
        Projection<Integer> snapshotted = Projection.builder("notes-snap", Note.class, () -> 0)
                .on(Note.Written.class, (n, e) -> n + 1)
                .snapshots(Integer.class, "v1", SnapshotPolicy.manual())
                .build();

        assertNamesNote(() -> forgetful.snapshot(snapshotted, note));
    }

    @Test
    void a_related_aggregate_or_a_handler_of_an_unregistered_family_is_refused() {
        Projection<Integer> counted = Projection.builder("counted", Counter.class, () -> 0)
                .on(Counter.Added.class, (n, e) -> n + e.data().n())
                .build();
        Projection<Integer> withNotes = Projection.builder("with-notes", Counter.class, () -> 0)
                .on(Counter.Added.class, (n, e) -> n + e.data().n())
                .on(Note.Written.class, (n, e) -> n + 100)
                .build();

        assertThat(forgetful.load(counted, counter))
                .get()
                .extracting(Loaded::state)
                .isEqualTo(1);
        assertNamesNote(() -> forgetful.load(counted, counter, AggregateRef.of(Note.class, note)));
        assertNamesNote(() -> forgetful.load(withNotes, counter));
    }

    @Test
    void a_read_filtered_by_an_unregistered_type_is_refused_not_an_empty_page() {
        assertThat(writer.read(ReadQuery.of(PageRequest.forward(10), EventFilter.type(Note.class)))
                        .nodes())
                .hasSize(1);

        for (EventFilter filter : List.of(
                EventFilter.type(Note.class),
                EventFilter.aggregate(Note.class, note),
                EventFilter.event(Note.Written.class),
                new EventFilter.ByType("test/Nowhere"))) {
            ReadQuery query = ReadQuery.of(PageRequest.forward(10), EventFilter.type(Counter.class), filter);
            String type = filter.aggregatorType();
            assertThatThrownBy(() -> forgetful.read(query))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + type + "'")
                    .hasMessageContaining("register");
            assertThatThrownBy(() -> forgetful.stream(query))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + type + "'");
            assertThatThrownBy(() -> forgetful.tail(query))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + type + "'");
        }
        assertThat(forgetful
                        .read(ReadQuery.of(PageRequest.forward(10), EventFilter.type(Counter.class)))
                        .nodes())
                .hasSize(1);
    }

    @Test
    void a_subscription_handling_or_skipping_an_unregistered_family_is_refused() {
        assertNamesNote(() -> forgetful.subscription("notes").on(Note.Written.class, (e, c) -> {}));
        assertNamesNote(() -> forgetful.subscription("notes").on(Note.class, (e, c) -> {}));
        assertNamesNote(() ->
                forgetful.subscription("notes").on(Counter.class, (e, c) -> {}).skip(Note.class));
    }

    @Test
    void committing_an_event_of_an_unregistered_family_is_refused_as_before() {
        assertThatThrownBy(() -> forgetful.create().event(new Note.Written("lost")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Note.Written.class.getName())
                .hasMessageContaining("register");
    }

    private static void assertNamesNote(ThrowingCallable call) {
        assertThatThrownBy(call)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Note.class.getName())
                .hasMessageContaining("register(Note.class)");
    }
}
