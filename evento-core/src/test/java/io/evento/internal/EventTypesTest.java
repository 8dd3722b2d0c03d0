package io.evento.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.Aggregate;
import io.evento.EventName;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventTypesTest {

    @Aggregate("test/Order")
    sealed interface Order {
        record Placed(String item) implements Order {}

        @EventName("Shipped.v1")
        record Shipped() implements Order {}

        sealed interface Refund extends Order {
            record Requested(long amount) implements Refund {}

            record Paid(long amount) implements Refund {}
        }
    }

    @Aggregate("test/Clash")
    sealed interface Clash {
        record A() implements Clash {}

        @EventName("A")
        record B() implements Clash {}
    }

    @Aggregate("test/Order")
    sealed interface SameType {
        record X() implements SameType {}
    }

    @Aggregate("test/Open")
    interface NotSealed {}

    sealed interface NotAnnotated {
        record Y() implements NotAnnotated {}
    }

    record Stray(String x) {}

    @Aggregate("test/Classy")
    sealed interface Classy {
        record Fine() implements Classy {}

        final class NotARecord implements Classy {}
    }

    @Aggregate("test/Diamond")
    sealed interface Diamond {
        sealed interface Left extends Diamond {}

        sealed interface Right extends Diamond {}

        record Both() implements Left, Right {}

        record OnlyLeft() implements Left {}
    }

    @Test
    void a_family_registers_its_permitted_records_including_nested_sealed_interfaces() {
        EventTypes types = EventTypes.of(List.of(Order.class));
        assertThat(types.lookup(Order.Placed.class).name()).isEqualTo("Placed");
        assertThat(types.lookup(Order.Refund.Paid.class).aggregatorType()).isEqualTo("test/Order");
        assertThat(types.resolve("test/Order", "Requested"))
                .get()
                .extracting(EventTypes.Descriptor::type)
                .isEqualTo(Order.Refund.Requested.class);
    }

    @Test
    void an_event_name_annotation_overrides_the_simple_name() {
        EventTypes types = EventTypes.of(List.of(Order.class));
        assertThat(types.lookup(Order.Shipped.class).name()).isEqualTo("Shipped.v1");
        assertThat(types.resolve("test/Order", "Shipped")).isEmpty();
    }

    @Test
    void two_events_with_the_same_name_in_one_family_are_refused() {
        assertThatThrownBy(() -> EventTypes.of(List.of(Clash.class)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("event name 'A'");
    }

    @Test
    void two_families_declaring_the_same_aggregate_type_are_refused() {
        assertThatThrownBy(() -> EventTypes.of(List.of(Order.class, SameType.class)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'test/Order' is declared by both");
    }

    @Test
    void a_family_must_be_sealed_and_annotated() {
        assertThatThrownBy(() -> EventTypes.of(List.of(NotSealed.class)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be a sealed interface");
        assertThatThrownBy(() -> EventTypes.of(List.of(NotAnnotated.class)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not annotated with @Aggregate");
    }

    @Test
    void an_unregistered_event_class_is_a_clear_error() {
        EventTypes types = EventTypes.of(List.of(Order.class));
        assertThatThrownBy(() -> types.lookup(Stray.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Stray.class.getName())
                .hasMessageContaining("register");
    }

    @Test
    void describe_finds_the_family_from_the_annotation_alone() {
        assertThat(EventTypes.describe(Order.Refund.Paid.class))
                .isEqualTo(new EventTypes.Descriptor(Order.Refund.Paid.class, Order.class, "test/Order", "Paid", 1));
        assertThatThrownBy(() -> EventTypes.describe(Stray.class)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_family_permitting_a_class_that_is_not_a_record_is_refused_naming_it() {
        assertThatThrownBy(() -> EventTypes.check(Classy.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Classy.NotARecord.class.getName())
                .hasMessageContaining("not a record");
    }

    @Test
    void a_record_of_two_sealed_sub_families_is_one_event() {
        EventTypes types = EventTypes.of(List.of(Diamond.class));
        assertThat(types.eventClasses()).containsExactlyInAnyOrder(Diamond.Both.class, Diamond.OnlyLeft.class);
        assertThat(EventTypes.concreteClassesOf(Diamond.Left.class))
                .containsExactlyInAnyOrder(Diamond.Both.class, Diamond.OnlyLeft.class);
        assertThat(EventTypes.concreteClassesOf(Diamond.class)).hasSize(2);
    }

    @Test
    void the_family_of_a_record_a_sub_family_or_a_family_is_found_and_of_anything_else_refused() {
        assertThat(EventTypes.familyOf(Order.Refund.Paid.class)).isEqualTo(Order.class);
        assertThat(EventTypes.familyOf(Order.Refund.class)).isEqualTo(Order.class);
        assertThat(EventTypes.familyOf(Order.class)).isEqualTo(Order.class);
        assertThatThrownBy(() -> EventTypes.familyOf(Stray.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not an event");
    }

    @Test
    void registered_families_and_aggregate_types_are_known_by_identity_and_name() {
        EventTypes types = EventTypes.of(List.of(Order.class));
        assertThat(types.isRegisteredFamily(Order.class)).isTrue();
        assertThat(types.isRegisteredFamily(SameType.class)).isFalse();
        assertThat(types.isRegisteredType("test/Order")).isTrue();
        assertThat(types.isRegisteredType("test/Clash")).isFalse();
    }
}
