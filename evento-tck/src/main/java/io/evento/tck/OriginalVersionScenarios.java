package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.evento.ConcurrencyException;
import io.evento.Loaded;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A commit with an original version succeeds only at exactly that version.
 *
 * <p>Run by {@link ExecutorTck} as its {@code OriginalVersion} group.
 */
abstract class OriginalVersionScenarios extends Scenarios {
    OriginalVersionScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void a_stale_original_version_is_rejected_and_nothing_is_written() {
        String id = evento().create().event(new Account.Opened("Alice", 1000)).commit();
        assertThat(evento().load(ACCOUNT, id).orElseThrow().version()).isEqualTo(1);
        evento().aggregator(id)
                .originalVersion(1)
                .event(new Account.Deposited(100))
                .commit();
        Loaded<AccountView> loaded = evento().load(ACCOUNT, id).orElseThrow();
        List<StoredEvent> before = storedEvents(store());

        assertThatExceptionOfType(ConcurrencyException.class)
                .isThrownBy(() -> evento().aggregator(id)
                        .originalVersion(1)
                        .event(new Account.Deposited(200))
                        .event(new Account.Deposited(300))
                        .commit())
                .satisfies(e -> {
                    assertThat(e.aggregatorType()).isEqualTo(ACCOUNT_TYPE);
                    assertThat(e.aggregatorId()).isEqualTo(id);
                    assertThat(e.expectedVersion()).isEqualTo(1);
                    assertThat(e.getMessage()).contains("invalid original version");
                    assertThat(e.isTransient()).isFalse();
                });

        assertThat(evento().load(ACCOUNT, id)).contains(loaded);
        assertThat(loaded.version()).isEqualTo(2);
        assertThat(loaded.state().balance()).isEqualTo(1100);
        assertThat(storedEvents(store())).isEqualTo(before);
    }

    @Test
    void an_original_version_ahead_of_the_aggregate_is_rejected_and_leaves_no_hole() {
        String id = evento().create()
                .event(new Account.Opened("Bob", 0))
                .event(new Account.Deposited(1))
                .commit();
        List<StoredEvent> before = storedEvents(store());

        assertThatExceptionOfType(ConcurrencyException.class)
                .isThrownBy(() -> evento().aggregator(id)
                        .originalVersion(5)
                        .event(new Account.Deposited(2))
                        .commit())
                .satisfies(e -> {
                    assertThat(e.aggregatorId()).isEqualTo(id);
                    assertThat(e.expectedVersion()).isEqualTo(5);
                });
        assertThatExceptionOfType(ConcurrencyException.class)
                .isThrownBy(() -> evento().aggregator("never-created")
                        .originalVersion(1)
                        .event(new Account.Deposited(2))
                        .commit())
                .satisfies(e -> assertThat(e.expectedVersion()).isEqualTo(1));
        assertThat(storedEvents(store())).isEqualTo(before);

        evento().aggregator(id)
                .originalVersion(2)
                .event(new Account.Deposited(3))
                .commit();
        assertThat(versions(store().readAggregate(ACCOUNT_TYPE, id, 0, 10))).containsExactly(1, 2, 3);
        assertThat(store().lastEvent(ACCOUNT_TYPE, "never-created")).isEmpty();
    }

    @Test
    void a_loaded_state_cannot_be_appended_to_after_another_commit() {
        String id = evento().create().event(new Account.Opened("Carol", 10)).commit();
        Loaded<AccountView> first = evento().load(ACCOUNT, id).orElseThrow();
        Loaded<AccountView> second = evento().load(ACCOUNT, id).orElseThrow();

        first.append().event(new Account.Deposited(5)).commit();
        List<StoredEvent> before = storedEvents(store());

        assertThatExceptionOfType(ConcurrencyException.class)
                .isThrownBy(
                        () -> second.append().event(new Account.Withdrawn(10)).commit())
                .satisfies(e -> assertThat(e.expectedVersion()).isEqualTo(1));
        assertThat(storedEvents(store())).isEqualTo(before);
        assertThat(evento().load(ACCOUNT, id))
                .hasValueSatisfying(l -> assertThat(l.state()).isEqualTo(new AccountView("Carol", 15, 1)));
    }

    @Test
    void a_write_through_the_spi_at_the_wrong_version_writes_nothing() {
        store().write(List.of(
                stored(ACCOUNT_TYPE, "spi", 1, "Deposited", Optional.empty(), json("{\"amount\":1}")),
                stored(ACCOUNT_TYPE, "spi", 2, "Deposited", Optional.empty(), json("{\"amount\":2}"))));
        List<StoredEvent> before = storedEvents(store());

        assertThatExceptionOfType(ConcurrencyException.class)
                .isThrownBy(() -> store().write(List.of(
                        stored(ACCOUNT_TYPE, "spi", 2, "Deposited", Optional.empty(), json("{\"amount\":3}")),
                        stored(ACCOUNT_TYPE, "spi", 3, "Deposited", Optional.empty(), json("{\"amount\":4}")))))
                .satisfies(e -> assertThat(e.expectedVersion()).isEqualTo(1));
        assertThatExceptionOfType(ConcurrencyException.class)
                .isThrownBy(() -> store().write(List.of(
                        stored(ACCOUNT_TYPE, "spi", 4, "Deposited", Optional.empty(), json("{\"amount\":5}")))))
                .satisfies(e -> assertThat(e.expectedVersion()).isEqualTo(3));
        assertThatExceptionOfType(ConcurrencyException.class)
                .isThrownBy(() -> store().write(List.of(
                        stored(ACCOUNT_TYPE, "spi", 1, "Deposited", Optional.empty(), json("{\"amount\":6}")))))
                .satisfies(e -> assertThat(e.expectedVersion()).isZero());
        assertThat(storedEvents(store())).isEqualTo(before);
    }
}
