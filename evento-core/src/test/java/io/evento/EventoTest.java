package io.evento;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.memory.InMemoryExecutor;
import org.junit.jupiter.api.Test;

class EventoTest {

    @Aggregate("test/Counter")
    sealed interface Counter {
        record Added(int n) implements Counter {}

        record Reset() implements Counter {}
    }

    record Multiplier(int factor) {}

    @Test
    void ids_is_the_sha3_256_of_the_length_prefixed_parts_in_hex() throws Exception {
        java.security.MessageDigest sha3 = java.security.MessageDigest.getInstance("SHA3-256");
        sha3.update(new byte[] {0, 0, 0, 0, 0, 0, 0, 3});
        sha3.update("abc".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(Evento.ids("abc")).isEqualTo(java.util.HexFormat.of().formatHex(sha3.digest()));
        assertThat(Evento.ids("a", "bc")).isNotEqualTo(Evento.ids("ab", "c")).isNotEqualTo(Evento.ids("abc"));
        assertThat(Evento.ids("user-1", "group-9")).hasSize(64).isNotEqualTo(Evento.ids("group-9", "user-1"));
        assertThatThrownBy(Evento::ids).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void handlers_reach_shared_data_through_their_context() {
        try (InMemoryExecutor executor = InMemoryExecutor.create()) {
            Evento evento = Evento.builder(executor)
                    .register(Counter.class)
                    .data(new Multiplier(10))
                    .build();
            Projection<Integer> scaled = Projection.builder("scaled", Counter.class, () -> 0)
                    .on(
                            Counter.Added.class,
                            (Integer s, Event<Counter.Added> e, Projection.Context c) ->
                                    s + e.data().n() * c.data(Multiplier.class).factor())
                    .build();
            String id = evento.create()
                    .event(new Counter.Added(1))
                    .event(new Counter.Added(2))
                    .commit();
            assertThat(evento.load(scaled, id)).get().extracting(Loaded::state).isEqualTo(30);
        }
    }

    @Test
    void missing_shared_data_names_the_type() {
        try (InMemoryExecutor executor = InMemoryExecutor.create()) {
            Evento evento = Evento.builder(executor).register(Counter.class).build();
            Projection<Integer> scaled = Projection.builder("scaled", Counter.class, () -> 0)
                    .on(
                            Counter.Added.class,
                            (Integer s, Event<Counter.Added> e, Projection.Context c) ->
                                    s * c.data(Multiplier.class).factor())
                    .build();
            String id = evento.create().event(new Counter.Added(1)).commit();
            assertThatThrownBy(() -> evento.load(scaled, id))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(Multiplier.class.getName());
        }
    }

    @Test
    void a_family_handler_folds_with_an_exhaustive_switch() {
        try (InMemoryExecutor executor = InMemoryExecutor.create()) {
            Evento evento = Evento.builder(executor).register(Counter.class).build();
            Projection<Integer> total = Projection.builder("total", Counter.class, () -> 0)
                    .on(Counter.class, (s, e) -> switch (e.data()) {
                        case Counter.Added a -> s + a.n();
                        case Counter.Reset r -> 0;
                    })
                    .build();
            String id = evento.create()
                    .event(new Counter.Added(5))
                    .event(new Counter.Reset())
                    .event(new Counter.Added(7))
                    .commit();
            Loaded<Integer> loaded = evento.load(total, id).orElseThrow();
            assertThat(loaded.state()).isEqualTo(7);
            assertThat(loaded.version()).isEqualTo(3);
        }
    }

    @Test
    void naming_the_main_aggregate_again_as_related_is_refused() {
        try (InMemoryExecutor executor = InMemoryExecutor.create()) {
            Evento evento = Evento.builder(executor).register(Counter.class).build();
            Projection<Integer> count = Projection.builder("count", Counter.class, () -> 0)
                    .on(Counter.Added.class, (s, e) -> s + 1)
                    .build();
            String id = evento.create().event(new Counter.Added(1)).commit();
            assertThatThrownBy(() -> evento.load(count, id, AggregateRef.of(Counter.class, id)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("named twice");
        }
    }

    @Test
    void a_forged_cursor_with_a_negative_or_huge_position_is_refused_or_empty_not_a_crash() {
        try (InMemoryExecutor executor = InMemoryExecutor.create()) {
            Evento evento = Evento.builder(executor).register(Counter.class).build();
            evento.create().event(new Counter.Added(1)).commit();
            String store = executor.toString().replaceAll(".*\\[(.*)\\]", "$1");
            assertThatThrownBy(() -> executor.read(io.evento.spi.ReadQuery.all(
                            PageRequest.forward(10, io.evento.internal.Cursors.encode(store, -5)))))
                    .isInstanceOf(InvalidCursorException.class);
            assertThat(executor.read(io.evento.spi.ReadQuery.all(
                                    PageRequest.forward(10, io.evento.internal.Cursors.encode(store, Long.MAX_VALUE))))
                            .isEmpty())
                    .isTrue();
            assertThat(executor.read(io.evento.spi.ReadQuery.all(
                                    PageRequest.backward(10, io.evento.internal.Cursors.encode(store, Long.MAX_VALUE))))
                            .nodes())
                    .hasSize(1);
        }
    }

    @Test
    void builder_settings_cannot_be_repeated() {
        try (InMemoryExecutor executor = InMemoryExecutor.create()) {
            Evento.Builder b = Evento.builder(executor).codec(Codec.json());
            assertThatThrownBy(() -> b.codec(Codec.json()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already set");
            Evento.Builder d = Evento.builder(executor).data(new Multiplier(1));
            assertThatThrownBy(() -> d.data(new Multiplier(2))).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void a_handler_returning_null_is_a_clear_error() {
        try (InMemoryExecutor executor = InMemoryExecutor.create()) {
            Evento evento = Evento.builder(executor).register(Counter.class).build();
            Projection<String> broken = Projection.builder("broken", Counter.class, () -> "")
                    .on(Counter.Added.class, (s, e) -> null)
                    .build();
            String id = evento.create().event(new Counter.Added(1)).commit();
            assertThatThrownBy(() -> evento.load(broken, id))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("returned null");
        }
    }
}
