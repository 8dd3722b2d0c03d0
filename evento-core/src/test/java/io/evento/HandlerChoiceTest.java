package io.evento;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.memory.InMemoryExecutor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Projections and subscriptions hand an event to the most specific registered type it is an
 * instance of (its record, then the nearest sealed sub-family, then the family), whatever the
 * order of registration (issue 17, section 3).
 */
class HandlerChoiceTest {

    @Aggregate("test/Account")
    sealed interface Account {
        record Opened(String owner) implements Account {}

        sealed interface Money extends Account {}

        record Deposited(long amount) implements Money {}

        record Withdrawn(long amount) implements Money {}

        sealed interface Cash extends Money {}

        record AtCounter(long amount) implements Cash {}
    }

    /** A record that is an instance of two sibling sub-families. */
    @Aggregate("test/Shop")
    sealed interface Shop {
        sealed interface Money extends Shop {}

        sealed interface Admin extends Shop {}

        record Refund(long amount) implements Money, Admin {}

        record Sold(long amount) implements Money {}
    }

    /** The overlapping types handlers are registered for, from the family down to a record. */
    private static final List<Class<?>> TYPES =
            List.of(Account.class, Account.Money.class, Account.Cash.class, Account.Deposited.class);

    private final InMemoryExecutor executor = InMemoryExecutor.create();
    private Evento evento;
    private String id;

    @BeforeEach
    void commitOneEventOfEachKind() {
        evento = Evento.builder(executor).register(Account.class, Shop.class).build();
        id = evento.create()
                .event(new Account.Opened("ann"))
                .event(new Account.Deposited(1))
                .event(new Account.Withdrawn(2))
                .event(new Account.AtCounter(3))
                .commit();
    }

    @AfterEach
    void close() {
        executor.close();
    }

    @Test
    void a_projection_picks_the_most_specific_handler_in_every_order_of_registration() {
        for (List<Class<?>> order : permutations(TYPES)) {
            Projection.Builder<List<String>> builder = Projection.builder("labels", Account.class, List::of);
            for (Class<?> type : order) {
                builder.on(anyEvent(type), (labels, e) -> append(labels, type.getSimpleName()));
            }

            assertThat(evento.load(builder.build(), id).orElseThrow().state())
                    .as("handlers registered in the order %s", order)
                    .containsExactly("Account", "Deposited", "Money", "Cash");
        }
    }

    @Test
    void a_subscription_picks_the_most_specific_handler_in_every_order_of_registration() {
        int run = 0;
        for (List<Class<?>> order : permutations(TYPES)) {
            List<String> labels = new CopyOnWriteArrayList<>();
            Subscription.Builder builder = evento.subscription("labels-" + run++);
            for (Class<?> type : order) {
                builder.on(anyEvent(type), (e, c) -> labels.add(type.getSimpleName()));
            }
            builder.execute();

            assertThat(labels)
                    .as("handlers registered in the order %s", order)
                    .containsExactly("Account", "Deposited", "Money", "Cash");
        }
    }

    @Test
    void a_skip_is_chosen_like_a_handler_so_a_skipped_record_under_a_family_handler_is_skipped() {
        for (boolean skipFirst : new boolean[] {true, false}) {
            Projection.Builder<List<String>> builder = Projection.builder("skips", Account.class, List::of);
            if (skipFirst) {
                builder.skip(Account.Withdrawn.class);
            }
            builder.on(
                    Account.class,
                    (labels, e) -> append(labels, e.data().getClass().getSimpleName()));
            builder.on(Account.Money.class, (labels, e) -> append(labels, "money"));
            if (!skipFirst) {
                builder.skip(Account.Withdrawn.class);
            }

            assertThat(evento.load(builder.safetyCheck().build(), id)
                            .orElseThrow()
                            .state())
                    .containsExactly("Opened", "money", "money");
        }
    }

    @Test
    void a_record_of_two_sibling_sub_families_with_handlers_is_refused_at_build_unless_it_has_its_own() {
        assertThatThrownBy(() -> Projection.builder("shop", Shop.class, () -> 0)
                        .on(Shop.Money.class, (n, e) -> n + 1)
                        .on(Shop.Admin.class, (n, e) -> n + 10)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(Shop.Refund.class.getName())
                .hasMessageContaining("neither is more specific")
                .hasMessageContaining("register Refund itself");
        assertThatThrownBy(() -> evento.subscription("shop")
                        .on(Shop.Admin.class, (e, c) -> {})
                        .skip(Shop.Money.class)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(Shop.Refund.class.getName());

        String shop = evento.create()
                .event(new Shop.Refund(5))
                .event(new Shop.Sold(7))
                .commit();
        Projection<Integer> resolved = Projection.builder("shop", Shop.class, () -> 0)
                .on(Shop.Money.class, (n, e) -> n + 1)
                .on(Shop.Admin.class, (n, e) -> n + 10)
                .on(Shop.Refund.class, (n, e) -> n + 100)
                .build();
        assertThat(evento.load(resolved, shop).orElseThrow().state()).isEqualTo(101);
    }

    @Test
    void a_type_that_is_not_an_event_sub_family_or_family_is_refused_by_both_builders() {
        assertThatThrownBy(
                        () -> Projection.builder("odd", Account.class, () -> 0).on(String.class, (n, e) -> n))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("java.lang.String is not an event");
        assertThatThrownBy(() -> evento.subscription("odd").on(String.class, (e, c) -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("java.lang.String is not an event");
        assertThatThrownBy(
                        () -> Projection.builder("odd", Account.class, () -> 0).skip(Runnable.class))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Class<Object> anyEvent(Class<?> type) {
        return (Class) type;
    }

    private static List<String> append(List<String> labels, String label) {
        List<String> next = new ArrayList<>(labels);
        next.add(label);
        return next;
    }

    private static <T> List<List<T>> permutations(List<T> items) {
        if (items.isEmpty()) {
            return List.of(List.of());
        }
        Map<List<T>, Boolean> all = new LinkedHashMap<>();
        for (int i = 0; i < items.size(); i++) {
            List<T> rest = new ArrayList<>(items);
            T first = rest.remove(i);
            for (List<T> tail : permutations(rest)) {
                List<T> permutation = new ArrayList<>();
                permutation.add(first);
                permutation.addAll(tail);
                all.put(permutation, true);
            }
        }
        return List.copyOf(all.keySet());
    }
}
