package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.AggregateRef;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import org.junit.jupiter.api.Test;

/**
 * Loading folds every event of an aggregate, however many, into a projection's state.
 *
 * <p>Run by {@link ExecutorTck} as its {@code Loading} group.
 */
abstract class LoadingScenarios extends Scenarios {
    LoadingScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void committed_events_fold_into_the_projection_state_with_version_and_routing_key() {
        String john = evento().create()
                .routingKey("eu")
                .event(new Account.Opened("John", 1000))
                .commit();
        String jane = evento().create().event(new Account.Opened("Jane", 500)).commit();

        assertThat(evento().load(ACCOUNT, john)).hasValueSatisfying(l -> {
            assertThat(l.state()).isEqualTo(new AccountView("John", 1000, 0));
            assertThat(l.version()).isEqualTo(1);
            assertThat(l.routingKey()).contains("eu");
            assertThat(l.id()).isEqualTo(john);
            assertThat(l.aggregatorType()).isEqualTo(ACCOUNT_TYPE);
        });

        evento().aggregator(john).event(new Account.Deposited(250)).commit();
        evento().aggregator(john)
                .event(new Account.Withdrawn(300))
                .event(new Account.Renamed("John Smith"))
                .commit();
        evento().aggregator(jane).event(new Account.Deposited(300)).commit();

        assertThat(evento().load(ACCOUNT, john)).hasValueSatisfying(l -> {
            assertThat(l.state()).isEqualTo(new AccountView("John Smith", 950, 1));
            assertThat(l.version()).isEqualTo(4);
            assertThat(l.routingKey()).contains("eu");
        });
        assertThat(evento().load(ACCOUNT, jane)).hasValueSatisfying(l -> {
            assertThat(l.state()).isEqualTo(new AccountView("Jane", 800, 1));
            assertThat(l.version()).isEqualTo(2);
            assertThat(l.routingKey()).isEmpty();
        });
    }

    @Test
    void loading_an_aggregate_that_has_no_events_gives_nothing() {
        evento().create().event(new Account.Opened("John", 1)).commit();

        assertThat(evento().load(ACCOUNT, "non-existent-id")).isEmpty();
    }

    @Test
    void aggregates_of_different_types_may_share_an_id() {
        String id = evento().create().event(new Account.Opened("Ann", 10)).commit();

        assertThat(evento().load(STATEMENT, id)).isPresent();
        assertThat(evento().executor().lastEvent(OWNER_TYPE, id)).isEmpty();

        evento().aggregator(id)
                .originalVersion(0)
                .event(new Owner.Created("Ann"))
                .commit();

        assertThat(evento().load(ACCOUNT, id)).hasValueSatisfying(l -> {
            assertThat(l.version()).isEqualTo(1);
            assertThat(l.state()).isEqualTo(new AccountView("Ann", 10, 0));
        });
        assertThat(store().lastEvent(OWNER_TYPE, id))
                .hasValueSatisfying(e -> assertThat(e.name()).isEqualTo("Created"));
        assertThat(store().readAggregate(ACCOUNT_TYPE, id, 0, 10)).hasSize(1);
    }

    @Test
    void an_aggregate_of_2500_events_loads_completely_across_load_pages() {
        String id = evento().create().event(new Account.Opened("Big", 0)).commit();
        commitDeposits(id, 999, 1);
        commitDeposits(id, 1000, 1);
        commitDeposits(id, 500, 1);

        assertThat(evento().load(ACCOUNT, id)).hasValueSatisfying(l -> {
            assertThat(l.version()).isEqualTo(2500);
            assertThat(l.state()).isEqualTo(new AccountView("Big", 2499, 2499));
        });
        assertThat(store().lastEvent(ACCOUNT_TYPE, id))
                .hasValueSatisfying(e -> assertThat(e.version()).isEqualTo(2500));
    }

    @Test
    void an_aggregate_of_exactly_one_load_page_loads_completely() {
        String id = evento().create().event(new Account.Opened("Even", 0)).commit();
        commitDeposits(id, 999, 2);
        assertThat(evento().load(ACCOUNT, id)).hasValueSatisfying(l -> {
            assertThat(l.version()).isEqualTo(1000);
            assertThat(l.state()).isEqualTo(new AccountView("Even", 1998, 999));
        });

        commitDeposits(id, 1000, 1);
        assertThat(evento().load(ACCOUNT, id)).hasValueSatisfying(l -> {
            assertThat(l.version()).isEqualTo(2000);
            assertThat(l.state().deposits()).isEqualTo(1999);
        });
    }

    @Test
    void read_aggregate_returns_the_events_after_a_version_up_to_a_limit() {
        String id = evento().create().event(new Account.Opened("Paged", 0)).commit();
        commitDeposits(id, 9, 1);

        assertThat(versions(store().readAggregate(ACCOUNT_TYPE, id, 0, 100)))
                .containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        assertThat(versions(store().readAggregate(ACCOUNT_TYPE, id, 3, 4))).containsExactly(4, 5, 6, 7);
        assertThat(versions(store().readAggregate(ACCOUNT_TYPE, id, 8, 100))).containsExactly(9, 10);
        assertThat(store().readAggregate(ACCOUNT_TYPE, id, 10, 100)).isEmpty();
        assertThat(store().readAggregate(ACCOUNT_TYPE, "nobody", 0, 100)).isEmpty();
        assertThat(store().lastEvent(ACCOUNT_TYPE, id))
                .hasValueSatisfying(e -> assertThat(e.version()).isEqualTo(10));
        assertThat(store().lastEvent(ACCOUNT_TYPE, "nobody")).isEmpty();
    }

    @Test
    void a_projection_folds_a_related_aggregate_but_reports_the_main_aggregates_version_and_routing_key() {
        String owner = evento().create()
                .routingKey("owners")
                .event(new Owner.Created("John Doe"))
                .commit();
        String account = evento().create()
                .routingKey("accounts")
                .event(new Account.Opened("John", 1000))
                .commit();

        assertThat(evento().load(STATEMENT, account, AggregateRef.of(Owner.class, owner)))
                .hasValueSatisfying(l -> {
                    assertThat(l.state()).isEqualTo(new Statement("John", 1000, "John Doe", 1));
                    assertThat(l.version()).isEqualTo(1);
                    assertThat(l.routingKey()).contains("accounts");
                    assertThat(l.id()).isEqualTo(account);
                });

        evento().aggregator(account).event(new Account.Deposited(500)).commit();
        evento().aggregator(owner)
                .originalVersion(1)
                .event(new Owner.NameChanged("John Smith"))
                .commit();
        evento().aggregator(owner).event(new Owner.NameChanged("Johnny Smith")).commit();

        assertThat(evento().load(STATEMENT, account, AggregateRef.of(Owner.class, owner)))
                .hasValueSatisfying(l -> {
                    assertThat(l.state()).isEqualTo(new Statement("John", 1500, "Johnny Smith", 3));
                    assertThat(l.version()).isEqualTo(2);
                    assertThat(l.routingKey()).contains("accounts");
                });
        assertThat(evento().load(STATEMENT, account))
                .hasValueSatisfying(l -> assertThat(l.state()).isEqualTo(new Statement("John", 1500, "", 0)));
    }

    @Test
    void loading_several_aggregates_gives_nothing_when_the_main_aggregate_has_no_events() {
        String owner = evento().create().event(new Owner.Created("Orphan")).commit();

        assertThat(evento().load(STATEMENT, "no-such-account", AggregateRef.of(Owner.class, owner)))
                .isEmpty();
    }

    @Test
    void a_related_aggregate_without_events_contributes_nothing() {
        String account = evento().create().event(new Account.Opened("Solo", 7)).commit();

        assertThat(evento().load(STATEMENT, account, AggregateRef.of(Owner.class, "no-such-owner")))
                .hasValueSatisfying(l -> {
                    assertThat(l.state()).isEqualTo(new Statement("Solo", 7, "", 0));
                    assertThat(l.version()).isEqualTo(1);
                });
    }
}
