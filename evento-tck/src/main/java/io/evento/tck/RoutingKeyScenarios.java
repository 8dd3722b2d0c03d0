package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.Event;
import io.evento.EventFilter;
import io.evento.PageRequest;
import io.evento.RoutingFilter;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * An aggregate's routing key is fixed by its first event; reads can select by it.
 *
 * <p>Run by {@link ExecutorTck} as its {@code RoutingKeys} group.
 */
abstract class RoutingKeyScenarios extends Scenarios {
    RoutingKeyScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void an_aggregate_keeps_the_routing_key_of_its_first_event() {
        String id = evento().create()
                .routingKey("us-east-1")
                .event(new Account.Opened("Alice", 1000))
                .commit();
        evento().aggregator(id)
                .routingKey("eu-west-1")
                .event(new Account.Deposited(500))
                .commit();
        evento().aggregator(id).event(new Account.Deposited(1)).commit();
        evento().load(ACCOUNT, id)
                .orElseThrow()
                .append()
                .routingKey("ap-south-1")
                .event(new Account.Withdrawn(1))
                .commit();

        assertThat(evento().load(ACCOUNT, id)).hasValueSatisfying(l -> {
            assertThat(l.routingKey()).contains("us-east-1");
            assertThat(l.version()).isEqualTo(4);
            assertThat(l.state().balance()).isEqualTo(1500);
        });
        List<Event<?>> events = events(List.of(EventFilter.aggregate(Account.class, id)), RoutingFilter.ALL);
        assertThat(events).hasSize(4).allSatisfy(e -> assertThat(e.routingKey()).contains("us-east-1"));
    }

    @Test
    void an_aggregate_created_without_a_routing_key_never_gets_one() {
        String id = evento().create().event(new Account.Opened("Charlie", 3000)).commit();
        evento().aggregator(id)
                .routingKey("eu-west-1")
                .event(new Account.Deposited(100))
                .commit();

        assertThat(evento().load(ACCOUNT, id)).hasValueSatisfying(l -> {
            assertThat(l.routingKey()).isEmpty();
            assertThat(l.version()).isEqualTo(2);
            assertThat(l.state().balance()).isEqualTo(3100);
        });
        assertThat(events(List.of(EventFilter.aggregate(Account.class, id)), RoutingFilter.ALL))
                .hasSize(2)
                .allSatisfy(e -> assertThat(e.routingKey()).isEmpty());
        assertThat(events(List.of(), RoutingFilter.key("eu-west-1"))).isEmpty();
    }

    @Test
    void the_executor_stores_the_aggregates_routing_key_whatever_a_later_write_carries() {
        store().write(List.of(stored(ACCOUNT_TYPE, "keyed", 1, "Deposited", Optional.of("k1"), json("{}"))));
        store().write(List.of(
                stored(ACCOUNT_TYPE, "keyed", 2, "Deposited", Optional.of("k2"), json("{}")),
                stored(ACCOUNT_TYPE, "keyed", 3, "Deposited", Optional.empty(), json("{}"))));
        store().write(List.of(stored(ACCOUNT_TYPE, "unkeyed", 1, "Deposited", Optional.empty(), json("{}"))));
        store().write(List.of(stored(ACCOUNT_TYPE, "unkeyed", 2, "Deposited", Optional.of("k2"), json("{}"))));

        assertThat(store().readAggregate(ACCOUNT_TYPE, "keyed", 0, 10))
                .extracting(StoredEvent::routingKey)
                .containsExactly(Optional.of("k1"), Optional.of("k1"), Optional.of("k1"));
        assertThat(store().readAggregate(ACCOUNT_TYPE, "unkeyed", 0, 10))
                .extracting(StoredEvent::routingKey)
                .containsExactly(Optional.empty(), Optional.empty());
        assertThat(storedEvents(store()))
                .extracting(StoredEvent::routingKey)
                .containsExactly(
                        Optional.of("k1"), Optional.of("k1"), Optional.of("k1"), Optional.empty(), Optional.empty());
        assertThat(store().read(new ReadQuery(List.of(), RoutingFilter.key("k2"), PageRequest.forward(10)))
                        .edges())
                .isEmpty();
    }

    @Test
    void reading_by_key_none_or_all_selects_accordingly() {
        Map<String, Optional<String>> keyOf = new LinkedHashMap<>();
        String eu = evento().create()
                .routingKey("eu")
                .event(new Account.Opened("eu", 1))
                .commit();
        keyOf.put(eu, Optional.of("eu"));
        String none = evento().create().event(new Account.Opened("none", 2)).commit();
        keyOf.put(none, Optional.empty());
        String us = evento().create()
                .routingKey("us")
                .event(new Owner.Created("us"))
                .commit();
        keyOf.put(us, Optional.of("us"));
        evento().aggregator(eu).event(new Account.Deposited(1)).commit();
        evento().aggregator(none).event(new Account.Deposited(2)).commit();
        String eu2 = evento().create()
                .routingKey("eu")
                .event(new Owner.Created("eu2"))
                .commit();
        keyOf.put(eu2, Optional.of("eu"));
        List<StoredEvent> all = storedEvents(store());
        assertThat(all).hasSize(6);

        assertThat(ids(events(List.of(), RoutingFilter.key("eu"))))
                .containsExactlyElementsOf(idsOf(all, e -> e.routingKey().equals(Optional.of("eu"))))
                .hasSize(3);
        assertThat(ids(events(List.of(), RoutingFilter.key("us"))))
                .containsExactlyElementsOf(idsOf(all, e -> e.aggregatorId().equals(us)))
                .hasSize(1);
        assertThat(ids(events(List.of(), RoutingFilter.NONE)))
                .containsExactlyElementsOf(idsOf(all, e -> e.aggregatorId().equals(none)))
                .hasSize(2);
        assertThat(ids(events(List.of(), RoutingFilter.ALL))).containsExactlyElementsOf(idsOf(all, e -> true));
        assertThat(events(List.of(), RoutingFilter.key("ap"))).isEmpty();
        assertThat(all).allSatisfy(e -> assertThat(e.routingKey()).isEqualTo(keyOf.get(e.aggregatorId())));
    }

    @Test
    void the_routing_filter_combines_with_event_filters() {
        String euAccount = evento().create()
                .routingKey("eu")
                .event(new Account.Opened("a", 1))
                .commit();
        evento().create().routingKey("eu").event(new Owner.Created("o")).commit();
        evento().create().event(new Account.Opened("b", 1)).commit();
        evento().aggregator(euAccount).event(new Account.Deposited(3)).commit();

        List<Event<?>> selected = events(List.of(EventFilter.type(Account.class)), RoutingFilter.key("eu"));
        assertThat(selected).hasSize(2).allSatisfy(e -> {
            assertThat(e.aggregatorId()).isEqualTo(euAccount);
            assertThat(e.routingKey()).contains("eu");
        });
        assertThat(events(List.of(EventFilter.type(Account.class)), RoutingFilter.NONE))
                .singleElement()
                .satisfies(e -> assertThat(e.data()).isEqualTo(new Account.Opened("b", 1)));
        assertThat(events(List.of(EventFilter.type(Owner.class)), RoutingFilter.NONE))
                .isEmpty();
    }
}
