package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.Evento;
import io.evento.PageRequest;
import io.evento.StoreException;
import io.evento.spi.Executor;
import io.evento.spi.Lease;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredSnapshot;
import io.evento.tck.domain.Account;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * A closed executor refuses every call with a {@link StoreException}.
 *
 * <p>Run by {@link ExecutorTck} as its {@code Closed} group.
 */
abstract class ClosedStoreScenarios extends Scenarios {
    ClosedStoreScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void every_call_on_a_closed_executor_fails_with_a_store_exception() {
        Executor store = openStore();
        Evento closedEvento = eventoOn(store);
        String id =
                closedEvento.create().event(new Account.Opened("Closing", 1)).commit();
        String cursor = store.read(ReadQuery.all(PageRequest.forward(1)))
                .pageInfo()
                .endCursor()
                .orElseThrow();
        Lease lease = store.acquireLease("sub", "w1", LONG_TTL).orElseThrow();
        StoredSnapshot snapshot = snapshot("balance", ACCOUNT_TYPE, id, 1, new byte[] {1});
        store.saveSnapshot(snapshot);

        close(store);

        Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
        calls.put(
                "write",
                () -> store.write(
                        List.of(stored(ACCOUNT_TYPE, id, 2, "Deposited", Optional.empty(), json("{\"amount\":1}")))));
        calls.put("read", () -> store.read(ReadQuery.all(PageRequest.forward(1))));
        calls.put("read after a cursor", () -> store.read(ReadQuery.all(PageRequest.forward(1, cursor))));
        calls.put("readAggregate", () -> store.readAggregate(ACCOUNT_TYPE, id, 0, 10));
        calls.put("lastEvent", () -> store.lastEvent(ACCOUNT_TYPE, id));
        calls.put("acquireLease", () -> store.acquireLease("sub2", "w1", LONG_TTL));
        calls.put("releaseLease", () -> store.releaseLease(lease));
        calls.put("subscriberCursor", () -> store.subscriberCursor("sub"));
        calls.put("acknowledge", () -> store.acknowledge(lease, cursor));
        calls.put("snapshot", () -> store.snapshot("balance", ACCOUNT_TYPE, id));
        calls.put("saveSnapshot", () -> store.saveSnapshot(snapshot));
        calls.put(
                "Evento commit",
                () -> closedEvento
                        .aggregator(id)
                        .event(new Account.Deposited(1))
                        .commit());
        calls.put(
                "Evento create",
                () -> closedEvento.create().event(new Account.Opened("late", 1)).commit());
        calls.put("Evento load", () -> closedEvento.load(ACCOUNT, id));
        calls.put("Evento read", () -> closedEvento.read(ReadQuery.all(PageRequest.forward(1))));
        calls.forEach((what, call) -> assertThatThrownBy(call).as(what).isInstanceOf(StoreException.class));

        assertThat(storedEvents(store())).as("the other store").isEmpty();
    }
}
