package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.EventFilter;
import io.evento.PageRequest;
import io.evento.RoutingFilter;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Event filters select exactly the matching events, in global order, OR-ed together.
 *
 * <p>Run by {@link ExecutorTck} as its {@code Filters} group.
 */
abstract class FilterScenarios extends Scenarios {
    private List<StoredEvent> all;
    private String acc1;
    private String acc2;
    private String owner1;

    FilterScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @BeforeEach
    void seedAMixedLog() {
        acc1 = evento().create()
                .routingKey("eu")
                .event(new Account.Opened("ann", 10))
                .commit();
        owner1 = evento().create().event(new Owner.Created("Ann")).commit();
        evento().aggregator(acc1)
                .event(new Account.Deposited(5))
                .event(new Account.Withdrawn(3))
                .commit();
        acc2 = evento().create()
                .event(new Account.Opened("bob", 0))
                .event(new Account.Renamed("bobby"))
                .commit();
        evento().aggregator(owner1).event(new Owner.NameChanged("Annie")).commit();
        evento().aggregator(acc2).event(new Account.Withdrawn(1)).commit();
        evento().create().routingKey("us").event(new Owner.Created("Bob")).commit();
        evento().aggregator(acc1).event(new Account.Renamed("anna")).commit();
        all = storedEvents(store());
        assertThat(all).hasSize(10);
    }

    @Test
    void a_type_filter_selects_exactly_that_aggregate_types_events_in_global_order() {
        assertSelects(
                List.of(EventFilter.type(Owner.class)), e -> e.aggregatorType().equals(OWNER_TYPE));
        assertSelects(
                List.of(EventFilter.type(Account.class)),
                e -> e.aggregatorType().equals(ACCOUNT_TYPE));
        // Through the executor: Evento refuses a filter on an unregistered type (RegistrationScenarios).
        assertThat(store().read(ReadQuery.of(PageRequest.forward(10), new EventFilter.ByType("tck/Nothing")))
                        .nodes())
                .isEmpty();
    }

    @Test
    void an_id_filter_selects_exactly_one_aggregates_events() {
        assertSelects(
                List.of(EventFilter.aggregate(Account.class, acc1)),
                e -> e.aggregatorId().equals(acc1));
        assertSelects(
                List.of(EventFilter.aggregate(Owner.class, owner1)),
                e -> e.aggregatorId().equals(owner1));
        assertThat(events(List.of(EventFilter.aggregate(Owner.class, acc1)), RoutingFilter.ALL))
                .isEmpty();
    }

    @Test
    void a_name_filter_selects_one_event_name_across_aggregates() {
        assertSelects(
                List.of(EventFilter.event(Account.Withdrawn.class)),
                e -> e.name().equals("Withdrawn"));
        assertSelects(
                List.of(EventFilter.event(Account.Renamed.class)), e -> e.name().equals("OwnerRenamed"));
        assertThat(EventFilter.event(Account.Renamed.class))
                .isEqualTo(new EventFilter.ByName(ACCOUNT_TYPE, "OwnerRenamed"));
        assertThat(events(List.of(new EventFilter.ByName(OWNER_TYPE, "Withdrawn")), RoutingFilter.ALL))
                .isEmpty();
    }

    @Test
    void several_filters_are_or_ed_in_global_order_without_duplicates() {
        assertSelects(
                List.of(
                        EventFilter.event(Account.Withdrawn.class),
                        EventFilter.type(Owner.class),
                        EventFilter.aggregate(Account.class, acc2)),
                e -> e.name().equals("Withdrawn")
                        || e.aggregatorType().equals(OWNER_TYPE)
                        || e.aggregatorId().equals(acc2));
        assertSelects(
                List.of(EventFilter.type(Owner.class), EventFilter.aggregate(Owner.class, owner1)),
                e -> e.aggregatorType().equals(OWNER_TYPE));
    }

    @Test
    void filtered_reads_page_like_unfiltered_ones() {
        List<EventFilter> filters =
                List.of(EventFilter.event(Account.Withdrawn.class), EventFilter.aggregate(Account.class, acc1));
        List<String> expected =
                idsOf(all, e -> e.name().equals("Withdrawn") || e.aggregatorId().equals(acc1));
        assertThat(expected).hasSize(5);

        for (int size : List.of(1, 2, 3, 5, 6)) {
            assertThat(ids(walkForward(filters, RoutingFilter.ALL, size).events()))
                    .as("forward, size %d", size)
                    .isEqualTo(expected);
            assertThat(ids(walkBackward(filters, RoutingFilter.ALL, size).events()))
                    .as("backward, size %d", size)
                    .isEqualTo(expected);
        }
        assertThat(ids(walkForward(filters, RoutingFilter.key("eu"), 2).events()))
                .isEqualTo(idsOf(all, e -> e.aggregatorId().equals(acc1)));
    }

    private void assertSelects(List<EventFilter> filters, Predicate<StoredEvent> expected) {
        List<String> expectedIds = idsOf(all, expected);
        assertThat(expectedIds).isNotEmpty();
        assertThat(ids(events(filters, RoutingFilter.ALL))).isEqualTo(expectedIds);
        assertThat(store().read(new ReadQuery(filters, RoutingFilter.ALL, PageRequest.forward(100)))
                        .nodes())
                .extracting(StoredEvent::id)
                .isEqualTo(expectedIds);
    }
}
