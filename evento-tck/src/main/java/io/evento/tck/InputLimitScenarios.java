package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.EventFilter;
import io.evento.Limits;
import io.evento.PageRequest;
import io.evento.RoutingFilter;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * Values at the limits are stored; values over them, or with NUL characters, are refused.
 *
 * <p>Run by {@link ExecutorTck} as its {@code InputLimits} group.
 */
abstract class InputLimitScenarios extends Scenarios {
    InputLimitScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void ids_routing_keys_and_names_at_the_maximum_length_are_stored_intact() {
        String id = "i".repeat(Limits.ID_MAX_LENGTH - 1) + "é";
        String key = "k".repeat(Limits.NAME_MAX_LENGTH - 1) + "ü";
        evento().aggregator(id)
                .originalVersion(0)
                .routingKey(key)
                .event(new Account.Opened("Max", 1))
                .commit();
        String type = "t".repeat(Limits.NAME_MAX_LENGTH);
        String name = "n".repeat(Limits.NAME_MAX_LENGTH);
        String wideId = "é".repeat(Limits.ID_MAX_LENGTH);
        StoredEvent wide = stored(type, wideId, 1, name, Optional.of("ß".repeat(Limits.NAME_MAX_LENGTH)), json("{}"));
        store().write(List.of(wide));

        assertThat(evento().load(ACCOUNT, id)).hasValueSatisfying(l -> {
            assertThat(l.id()).isEqualTo(id);
            assertThat(l.routingKey()).contains(key);
        });
        assertThat(store().readAggregate(type, wideId, 0, 10)).containsExactly(wide);
        assertThat(store().lastEvent(type, wideId)).contains(wide);
        assertThat(store().read(new ReadQuery(
                                List.of(new EventFilter.ByName(type, name)),
                                RoutingFilter.key("ß".repeat(Limits.NAME_MAX_LENGTH)),
                                PageRequest.forward(10)))
                        .nodes())
                .containsExactly(wide);
        assertThat(store().read(new ReadQuery(
                                List.of(new EventFilter.ById(ACCOUNT_TYPE, id)),
                                RoutingFilter.key(key),
                                PageRequest.forward(10)))
                        .nodes())
                .singleElement()
                .satisfies(e -> assertThat(e.aggregatorId()).isEqualTo(id));
    }

    @Test
    void an_oversize_id_routing_key_or_name_is_refused_and_the_store_is_unchanged() {
        evento().create().event(new Account.Opened("Existing", 1)).commit();
        List<StoredEvent> before = storedEvents(store());
        String longId = "i".repeat(Limits.ID_MAX_LENGTH + 1);
        String longName = "n".repeat(Limits.NAME_MAX_LENGTH + 1);

        Map<String, ThrowingCallable> refused = new LinkedHashMap<>();
        refused.put(
                "aggregator id",
                () -> evento().aggregator(longId)
                        .event(new Account.Opened("x", 1))
                        .commit());
        refused.put(
                "routing key",
                () -> evento().create()
                        .routingKey(longName)
                        .event(new Account.Opened("x", 1))
                        .commit());
        refused.put("stored event id", () -> stored(ACCOUNT_TYPE, longId, 1, "Opened", Optional.empty(), json("{}")));
        refused.put("stored event type", () -> stored(longName, "a", 1, "Opened", Optional.empty(), json("{}")));
        refused.put("stored event name", () -> stored(ACCOUNT_TYPE, "a", 1, longName, Optional.empty(), json("{}")));
        refused.put(
                "stored routing key", () -> stored(ACCOUNT_TYPE, "a", 1, "Opened", Optional.of(longName), json("{}")));
        refused.put("id filter", () -> EventFilter.aggregate(Account.class, longId));
        refused.put("routing filter", () -> RoutingFilter.key(longName));
        refused.put("readAggregate id", () -> store().readAggregate(ACCOUNT_TYPE, longId, 0, 10));
        refused.put("readAggregate type", () -> store().readAggregate(longName, "a", 0, 10));
        refused.put("lastEvent id", () -> store().lastEvent(ACCOUNT_TYPE, longId));
        refused.put("lastEvent type", () -> store().lastEvent(longName, "a"));
        refused.put("lease key", () -> store().acquireLease(longName, "w1", LONG_TTL));
        refused.put("lease worker", () -> store().acquireLease("sub", longId, LONG_TTL));
        refused.put("subscriber cursor key", () -> store().subscriberCursor(longName));
        refused.put("snapshot projection", () -> store().snapshot(longName, ACCOUNT_TYPE, "a"));
        refused.put("snapshot type", () -> store().snapshot("p", longName, "a"));
        refused.put("snapshot id", () -> store().snapshot("p", ACCOUNT_TYPE, longId));
        refused.put("saved snapshot", () -> snapshot("p", ACCOUNT_TYPE, longId, 1, new byte[] {1}));
        assertAllRefused(refused);

        assertThat(storedEvents(store())).isEqualTo(before);
        assertThat(store().subscriberCursor("sub")).isEmpty();
        assertThat(store().acquireLease("sub", "w1", LONG_TTL)).isPresent();
    }

    @Test
    void a_commit_of_the_maximum_number_of_events_is_stored_and_one_more_is_refused() {
        String id = evento().create().event(new Account.Opened("Bulk", 0)).commit();
        commitDeposits(id, Limits.COMMIT_MAX_EVENTS, 1);
        List<StoredEvent> before = storedEvents(store());
        assertThat(before).hasSize(1 + Limits.COMMIT_MAX_EVENTS);

        assertThatThrownBy(() -> commitDeposits(id, Limits.COMMIT_MAX_EVENTS + 1, 1))
                .isInstanceOf(IllegalArgumentException.class);

        assertThat(storedEvents(store())).isEqualTo(before);
        assertThat(evento().load(ACCOUNT, id)).hasValueSatisfying(l -> {
            assertThat(l.version()).isEqualTo(1 + Limits.COMMIT_MAX_EVENTS);
            assertThat(l.state().balance()).isEqualTo(Limits.COMMIT_MAX_EVENTS);
        });
    }

    @Test
    void nul_characters_in_ids_keys_and_names_are_refused_and_the_store_is_unchanged() {
        evento().create().event(new Account.Opened("Existing", 1)).commit();
        List<StoredEvent> before = storedEvents(store());

        Map<String, ThrowingCallable> refused = new LinkedHashMap<>();
        refused.put(
                "aggregator id",
                () -> evento().aggregator("a\0b")
                        .event(new Account.Opened("x", 1))
                        .commit());
        refused.put(
                "routing key",
                () -> evento().create()
                        .routingKey("eu\0")
                        .event(new Account.Opened("x", 1))
                        .commit());
        refused.put("stored event id", () -> stored(ACCOUNT_TYPE, "\0", 1, "Opened", Optional.empty(), json("{}")));
        refused.put("stored event name", () -> stored(ACCOUNT_TYPE, "a", 1, "Op\0ened", Optional.empty(), json("{}")));
        refused.put("id filter", () -> EventFilter.aggregate(Account.class, "a\0"));
        refused.put("routing filter", () -> RoutingFilter.key("\0"));
        refused.put("readAggregate", () -> store().readAggregate(ACCOUNT_TYPE, "a\0", 0, 10));
        refused.put("lastEvent", () -> store().lastEvent("tck/\0", "a"));
        refused.put("lease key", () -> store().acquireLease("sub\0", "w1", LONG_TTL));
        refused.put("lease worker", () -> store().acquireLease("sub", "w\0", LONG_TTL));
        refused.put("subscriber cursor key", () -> store().subscriberCursor("\0sub"));
        refused.put("snapshot id", () -> store().snapshot("p", ACCOUNT_TYPE, "a\0"));
        refused.put("empty aggregator id", () -> evento().aggregator(""));
        refused.put("empty lease key", () -> store().acquireLease("", "w1", LONG_TTL));
        assertAllRefused(refused);

        assertThat(storedEvents(store())).isEqualTo(before);
        assertThat(store().acquireLease("sub", "w1", LONG_TTL)).isPresent();
    }

    @Test
    void malformed_writes_through_the_spi_are_refused_and_the_store_is_unchanged() {
        evento().create().event(new Account.Opened("Existing", 1)).commit();
        List<StoredEvent> before = storedEvents(store());

        Map<String, ThrowingCallable> refused = new LinkedHashMap<>();
        refused.put("no events", () -> store().write(List.of()));
        refused.put(
                "a gap in versions",
                () -> store().write(List.of(
                        stored(ACCOUNT_TYPE, "gap", 1, "Deposited", Optional.empty(), json("{}")),
                        stored(ACCOUNT_TYPE, "gap", 3, "Deposited", Optional.empty(), json("{}")))));
        refused.put(
                "two aggregates",
                () -> store().write(List.of(
                        stored(ACCOUNT_TYPE, "one", 1, "Deposited", Optional.empty(), json("{}")),
                        stored(ACCOUNT_TYPE, "two", 2, "Deposited", Optional.empty(), json("{}")))));
        refused.put(
                "two types",
                () -> store().write(List.of(
                        stored(ACCOUNT_TYPE, "one", 1, "Deposited", Optional.empty(), json("{}")),
                        stored(OWNER_TYPE, "one", 2, "Created", Optional.empty(), json("{}")))));
        refused.put("version zero", () -> stored(ACCOUNT_TYPE, "zero", 0, "Deposited", Optional.empty(), json("{}")));
        refused.put("zero ttl", () -> store().acquireLease("sub", "w1", Duration.ZERO));
        refused.put("negative ttl", () -> store().acquireLease("sub", "w1", Duration.ofMillis(-1)));
        assertAllRefused(refused);

        assertThat(storedEvents(store())).isEqualTo(before);
        assertThat(store().lastEvent(ACCOUNT_TYPE, "gap")).isEmpty();
        assertThat(store().lastEvent(ACCOUNT_TYPE, "one")).isEmpty();
        assertThat(store().acquireLease("sub", "w2", LONG_TTL)).isPresent();
    }

    private void assertAllRefused(Map<String, ThrowingCallable> refused) {
        refused.forEach((what, call) -> assertThatThrownBy(call).as(what).isInstanceOf(IllegalArgumentException.class));
    }
}
