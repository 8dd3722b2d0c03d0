package io.evento;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.evento.memory.InMemoryExecutor;
import io.evento.spi.ReadQuery;
import java.io.InputStream;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Events that would not read back are refused when they are registered or committed, never
 * stored: the newcomer's cases of issue 17 (a stream, an {@code Object}, a plain class) and their
 * relatives.
 */
class UnreadableEventsTest {

    @Aggregate("test/Stream")
    sealed interface Streams {
        record WithStream(InputStream in) implements Streams {}
    }

    @Aggregate("test/Anything")
    sealed interface Anything {
        record Held(Object payload) implements Anything {}
    }

    @Aggregate("test/Plain")
    sealed interface Plain {
        record Fine(String text) implements Plain {}

        final class NotARecord implements Plain {
            private final String text;

            NotARecord(String text) {
                this.text = text;
            }

            String text() {
                return text;
            }
        }
    }

    @Aggregate("test/Nested")
    sealed interface Nested {
        record Inner(Object value) {}

        record Outer(String name, List<Inner> items) implements Nested {}
    }

    @Aggregate("test/Keys")
    sealed interface Keys {
        record ByObject(Map<Object, String> entries) implements Keys {}
    }

    @Aggregate("test/Values")
    sealed interface Values {
        record Bag(Map<String, Object> attributes) implements Values {}
    }

    @Aggregate("test/Generic")
    sealed interface Generic {
        record Wrapped<T>(T value) implements Generic {}
    }

    @Aggregate("test/Untyped")
    sealed interface Untyped {
        sealed interface Shape {}

        record Circle(int radius) implements Shape {}

        record Drawn(Shape shape) implements Untyped {}
    }

    @Aggregate("test/Typed")
    sealed interface Typed {
        @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
        @JsonSubTypes(@JsonSubTypes.Type(value = Circle.class, name = "circle"))
        sealed interface Shape {}

        record Circle(int radius) implements Shape {}

        /** Not listed in {@code @JsonSubTypes}: written with a type id nothing reads. */
        record Square(int side) implements Shape {}

        record Drawn(Shape shape) implements Typed {}
    }

    enum Colour {
        RED,
        GREEN
    }

    @Aggregate("test/Rich")
    sealed interface Rich {
        record Node(String name, List<Node> children) {}

        record Everything(
                String text,
                long count,
                Colour colour,
                Optional<String> memo,
                List<String> tags,
                Set<UUID> ids,
                Map<String, Long> totals,
                Map<Colour, LocalDate> days,
                Instant at,
                BigDecimal amount,
                byte[] blob,
                Node tree)
                implements Rich {}

        record Nothing() implements Rich {}
    }

    private final InMemoryExecutor executor = InMemoryExecutor.create();

    @AfterEach
    void close() {
        executor.close();
    }

    @Test
    void a_record_holding_a_stream_is_refused_at_build_naming_the_record_and_the_component() {
        Evento.Builder builder = Evento.builder(executor).register(Streams.class);

        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Streams.WithStream.class.getName())
                .hasMessageContaining("'in'")
                .hasMessageContaining("java.io.InputStream");
    }

    @Test
    void a_record_holding_an_object_is_refused_whatever_it_would_hold() {
        assertThatThrownBy(
                        () -> Evento.builder(executor).register(Anything.class).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Anything.Held.class.getName())
                .hasMessageContaining("'payload'")
                .hasMessageContaining("reads back as a String");

        // What registration spares a newcomer: new Object() is stored as {} (now an error of the
        // codec itself), and a LocalDate comes back as a String.
        Codec json = Codec.json();
        assertThatThrownBy(() -> json.encode(new Anything.Held(new Object())))
                .isInstanceOf(IllegalArgumentException.class);
        byte[] date = json.encode(new Anything.Held(LocalDate.of(2026, 11, 17)));
        assertThat(json.decode(date, Anything.Held.class).payload()).isInstanceOf(String.class);
        assertThat(executor.read(ReadQuery.all(PageRequest.forward(10))).nodes())
                .isEmpty();
    }

    @Test
    void a_plain_class_in_a_family_is_refused_when_it_is_registered() {
        assertThatThrownBy(() -> Evento.builder(executor).register(Plain.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Plain.NotARecord.class.getName())
                .hasMessageContaining("not a record");
    }

    @Test
    void a_component_nested_in_records_and_collections_is_named_by_its_path() {
        assertThatThrownBy(() -> Evento.builder(executor).register(Nested.class).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Nested.Outer.class.getName())
                .hasMessageContaining("'items[].value'");
    }

    @Test
    void maps_with_object_keys_or_values_and_type_variables_are_refused() {
        assertThatThrownBy(() -> Evento.builder(executor).register(Keys.class).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'entries'")
                .hasMessageContaining("keys declared as java.lang.Object");
        assertThatThrownBy(() -> Evento.builder(executor).register(Values.class).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'attributes[]'");
        assertThatThrownBy(
                        () -> Evento.builder(executor).register(Generic.class).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'value'");
    }

    @Test
    void a_sealed_interface_without_type_information_is_refused() {
        assertThatThrownBy(
                        () -> Evento.builder(executor).register(Untyped.class).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'shape'")
                .hasMessageContaining("abstract type without type information")
                .hasMessageContaining("@JsonTypeInfo");
    }

    @Test
    void
            with_type_information_it_is_accepted_and_a_value_that_would_not_read_back_is_refused_before_anything_is_written() {
        Evento evento = Evento.builder(executor).register(Typed.class).build();
        String id = evento.create().event(new Typed.Drawn(new Typed.Circle(3))).commit();
        assertThat(evento.read(ReadQuery.all(PageRequest.forward(10))).nodes())
                .<Object>extracting(Event::data)
                .containsExactly(new Typed.Drawn(new Typed.Circle(3)));

        CommitBuilder square = evento.aggregator(id).event(new Typed.Drawn(new Typed.Square(2)));
        assertThatThrownBy(square::commit)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Typed.Drawn.class.getName())
                .hasMessageContaining("does not read back");
        assertThat(executor.read(ReadQuery.all(PageRequest.forward(10))).nodes())
                .hasSize(1);
        assertThat(executor.lastEvent("test/Typed", id))
                .get()
                .extracting(e -> e.version())
                .isEqualTo(1);
    }

    @Test
    void
            records_of_values_collections_optionals_nested_and_recursive_records_and_empty_records_register_and_read_back() {
        Evento evento = Evento.builder(executor).register(Rich.class).build();
        Rich.Everything everything = new Rich.Everything(
                "text",
                7,
                Colour.GREEN,
                Optional.of("memo"),
                List.of("a", "b"),
                Set.of(new UUID(1, 2)),
                Map.of("x", 1L),
                Map.of(Colour.RED, LocalDate.of(2026, 1, 2)),
                Instant.parse("2026-11-17T10:15:30Z"),
                new BigDecimal("12.34"),
                new byte[] {1, 2, 3},
                new Rich.Node("root", List.of(new Rich.Node("leaf", List.of()))));

        evento.create().event(everything).event(new Rich.Nothing()).commit();

        List<Object> read = evento.read(ReadQuery.all(PageRequest.forward(10))).nodes().stream()
                .<Object>map(Event::data)
                .toList();
        assertThat(read).hasSize(2);
        assertThat(read.get(0)).usingRecursiveComparison().isEqualTo(everything);
        assertThat(read.get(1)).isEqualTo(new Rich.Nothing());
    }

    @Test
    void a_codec_of_your_own_accepts_every_type_unless_it_vets_them() {
        Codec json = Codec.json();
        Codec lenient = new Codec() {
            @Override
            public byte[] encode(Object event) {
                return json.encode(event);
            }

            @Override
            public <T> T decode(byte[] data, Class<T> type) {
                return json.decode(data, type);
            }
        };

        assertThat(Evento.builder(executor)
                        .register(Untyped.class)
                        .codec(lenient)
                        .build())
                .isNotNull();
    }
}
