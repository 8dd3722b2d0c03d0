package io.evento.readme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.Aggregate;
import io.evento.ConcurrencyException;
import io.evento.Event;
import io.evento.EventFilter;
import io.evento.Evento;
import io.evento.Loaded;
import io.evento.Metadata;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.Projection;
import io.evento.RoutingFilter;
import io.evento.memory.InMemoryExecutor;
import io.evento.spi.ReadQuery;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The code shown in README.md, kept here so that it compiles and runs. Keep the two in sync. */
class ReadmeExamplesTest {

    // --- README: Events and aggregates ---
    @Aggregate("bank/Account")
    public sealed interface Account {
        record AccountOpened(String owner, long initialBalance) implements Account {}

        record MoneyDeposited(long amount) implements Account {}

        record MoneyWithdrawn(long amount) implements Account {}
    }

    // --- README: Projections ---
    record Balance(String owner, long amount) {
        static final Projection<Balance> PROJECTION = Projection.builder(
                        "balance", Account.class, () -> new Balance("", 0))
                .on(
                        Account.AccountOpened.class,
                        (state, e) -> new Balance(e.data().owner(), e.data().initialBalance()))
                .on(
                        Account.MoneyDeposited.class,
                        (state, e) -> new Balance(
                                state.owner(), state.amount() + e.data().amount()))
                .on(
                        Account.MoneyWithdrawn.class,
                        (state, e) -> new Balance(
                                state.owner(), state.amount() - e.data().amount()))
                .safetyCheck()
                .build();
    }

    // A fold over the whole family as an exhaustive switch: a new event breaks compilation here.
    static final Projection<Long> TOTAL = Projection.builder("total", Account.class, () -> 0L)
            .on(Account.class, (total, e) -> switch (e.data()) {
                case Account.AccountOpened o -> o.initialBalance();
                case Account.MoneyDeposited d -> total + d.amount();
                case Account.MoneyWithdrawn w -> total - w.amount();
            })
            .build();

    private final InMemoryExecutor executor = InMemoryExecutor.create();

    @AfterEach
    void close() {
        executor.close();
    }

    @Test
    void commits_loads_and_optimistic_concurrency() {
        // --- README: Commits ---
        Evento evento = Evento.builder(executor).register(Account.class).build();

        String id = evento.create()
                .event(new Account.AccountOpened("Alice", 100))
                .routingKey("eu-west")
                .requestedBy("user-42")
                .commit();

        evento.aggregator(id)
                .originalVersion(1)
                .event(new Account.MoneyDeposited(50))
                .event(new Account.MoneyWithdrawn(20))
                .metadata(Metadata.create().with("ip", "10.0.0.7"))
                .commit();

        // --- README: Loading ---
        Loaded<Balance> alice = evento.load(Balance.PROJECTION, id).orElseThrow();
        assertThat(alice.state()).isEqualTo(new Balance("Alice", 130));
        assertThat(alice.version()).isEqualTo(3);
        assertThat(alice.routingKey()).contains("eu-west");

        alice.append().event(new Account.MoneyDeposited(5)).commit(); // expects version 3

        try {
            alice.append().event(new Account.MoneyDeposited(5)).commit(); // still expects 3: stale
        } catch (ConcurrencyException e) {
            // reload, re-check the rules, commit again
            assertThat(e.expectedVersion()).isEqualTo(3);
        }
        assertThat(evento.load(TOTAL, id).orElseThrow().state()).isEqualTo(135L);
        assertThatThrownBy(() ->
                        alice.append().event(new Account.MoneyDeposited(5)).commit())
                .isInstanceOf(ConcurrencyException.class);
    }

    @Test
    void paging_through_the_log() {
        Evento evento = Evento.builder(executor).register(Account.class).build();
        for (int i = 0; i < 5; i++) {
            evento.create().event(new Account.AccountOpened("owner" + i, i)).commit();
        }
        int seen = 0;
        // --- README: Reading the log ---
        PageRequest request = PageRequest.forward(2);
        while (true) {
            Page<Event<?>> page =
                    evento.read(new ReadQuery(List.of(EventFilter.type(Account.class)), RoutingFilter.ALL, request));
            for (Event<?> event : page.nodes()) {
                seen++; // handle event.data(), event.metadata(), ...
            }
            if (!page.pageInfo().hasNextPage()) {
                break;
            }
            request = PageRequest.forward(2, page.pageInfo().endCursor().orElseThrow());
        }
        assertThat(seen).isEqualTo(5);
    }
}
