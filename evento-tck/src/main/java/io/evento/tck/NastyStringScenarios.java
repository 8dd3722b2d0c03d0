package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.Event;
import io.evento.EventFilter;
import io.evento.Metadata;
import io.evento.PageRequest;
import io.evento.RoutingFilter;
import io.evento.spi.Lease;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SQL meta-characters and unicode are stored and matched as plain data, never interpreted.
 *
 * <p>Run by {@link ExecutorTck} as its {@code NastyStrings} group.
 */
abstract class NastyStringScenarios extends Scenarios {
    private static final List<String> NASTY = List.of(
            "'; DROP TABLE event; --",
            "Robert'); DELETE FROM events; --",
            "' OR '1'='1",
            "\"",
            "\"quoted\"",
            "%",
            "a%",
            "_",
            "a_",
            "\\",
            "a\\%",
            "*",
            "?",
            "$1",
            "line\nbreak\ttab",
            "😀 ünïcødé 漢字 עברית",
            "\uD83D\uDC4D\uD83C\uDFFD",
            "null");

    NastyStringScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void sql_meta_characters_and_unicode_round_trip_as_ids_routing_keys_metadata_and_payloads() {
        evento().aggregator("a")
                .routingKey("a")
                .event(new Account.Opened("a", 0))
                .commit();
        evento().aggregator("ab")
                .routingKey("ab")
                .event(new Account.Opened("ab", 0))
                .commit();
        evento().aggregator("a\\b").event(new Account.Opened("a\\b", 0)).commit();
        for (String s : NASTY) {
            evento().aggregator(s)
                    .originalVersion(0)
                    .routingKey(s)
                    .metadata(Metadata.create().withId(s).withRequestedBy(s).with("note", s))
                    .event(new Account.Opened(s, 1))
                    .event(new Account.Renamed(s + s))
                    .commit();
        }
        List<StoredEvent> all = storedEvents(store());
        assertThat(all).hasSize(3 + 2 * NASTY.size());

        for (String s : NASTY) {
            assertThat(evento().load(ACCOUNT, s)).as(s).hasValueSatisfying(l -> {
                assertThat(l.id()).isEqualTo(s);
                assertThat(l.state()).isEqualTo(new AccountView(s + s, 1, 0));
                assertThat(l.routingKey()).contains(s);
                assertThat(l.version()).isEqualTo(2);
            });
            List<Event<?>> byId = events(List.of(EventFilter.aggregate(Account.class, s)), RoutingFilter.ALL);
            assertThat(byId).as("events of %s", s).hasSize(2).allSatisfy(e -> {
                assertThat(e.aggregatorId()).isEqualTo(s);
                assertThat(e.routingKey()).contains(s);
                assertThat(e.metadata().id()).isEqualTo(s);
                assertThat(e.metadata().requestedBy()).contains(s);
                assertThat(e.metadata().get("note", String.class)).contains(s);
            });
            assertThat(byId.getFirst().data()).isEqualTo(new Account.Opened(s, 1));
            assertThat(ids(events(List.of(), RoutingFilter.key(s))))
                    .as("routing key %s", s)
                    .containsExactlyElementsOf(ids(byId));
            assertThat(store().lastEvent(ACCOUNT_TYPE, s))
                    .hasValueSatisfying(e -> assertThat(e.version()).isEqualTo(2));
        }
        assertThat(events(List.of(EventFilter.aggregate(Account.class, "a")), RoutingFilter.ALL))
                .hasSize(1);
        assertThat(events(List.of(), RoutingFilter.key("a"))).hasSize(1);
        assertThat(events(List.of(), RoutingFilter.NONE))
                .singleElement()
                .satisfies(e -> assertThat(e.aggregatorId()).isEqualTo("a\\b"));
        assertThat(storedEvents(store())).isEqualTo(all);
    }

    @Test
    void sql_meta_characters_and_unicode_round_trip_as_lease_and_snapshot_keys() {
        seedDeposits(1);
        String cursor = store().read(ReadQuery.all(PageRequest.forward(1)))
                .pageInfo()
                .endCursor()
                .orElseThrow();
        store().saveSnapshot(snapshot("plain", ACCOUNT_TYPE, "a", 1, new byte[] {0}));
        for (String s : NASTY) {
            Lease lease = store().acquireLease(s, s, LONG_TTL).orElseThrow();
            assertThat(lease.key()).isEqualTo(s);
            assertThat(lease.workerId()).isEqualTo(s);
            store().acknowledge(lease, cursor);
            store().saveSnapshot(snapshot(s, ACCOUNT_TYPE, s, 1, s.getBytes(StandardCharsets.UTF_8)));
        }
        for (String s : NASTY) {
            assertThat(store().subscriberCursor(s)).as(s).contains(cursor);
            assertThat(store().acquireLease(s, "someone else", LONG_TTL)).as(s).isEmpty();
            assertThat(store().snapshot(s, ACCOUNT_TYPE, s))
                    .as(s)
                    .hasValueSatisfying(snap -> assertThat(snap.data()).isEqualTo(s.getBytes(StandardCharsets.UTF_8)));
        }
        assertThat(store().subscriberCursor("a")).isEmpty();
        assertThat(store().acquireLease("a", "someone else", LONG_TTL)).isPresent();
        assertThat(store().snapshot("plain", ACCOUNT_TYPE, "a"))
                .hasValueSatisfying(snap -> assertThat(snap.data()).containsExactly(0));
        assertThat(store().snapshot("a%", ACCOUNT_TYPE, "a")).isEmpty();
    }
}
