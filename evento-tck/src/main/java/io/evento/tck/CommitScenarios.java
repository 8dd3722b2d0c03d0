package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.evento.CommitBuilder;
import io.evento.ConcurrencyException;
import io.evento.Event;
import io.evento.EventFilter;
import io.evento.Evento;
import io.evento.RoutingFilter;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Audit;
import io.evento.tck.domain.Owner;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What a commit writes, and which commits are refused before anything is written.
 *
 * <p>Run by {@link ExecutorTck} as its {@code Commits} group.
 */
abstract class CommitScenarios extends Scenarios {
    CommitScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void create_returns_a_new_ulid_for_each_aggregate() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            String id = evento().create().event(new Account.Opened("n" + i, i)).commit();
            assertThat(id).hasSize(26).matches(ULID);
            ids.add(id);
        }
        assertThat(ids).hasSize(20);
        assertThat(storedEvents(store()))
                .extracting(StoredEvent::aggregatorId)
                .containsExactlyInAnyOrderElementsOf(ids);
    }

    @Test
    void appending_without_an_original_version_goes_after_the_current_version() {
        String id = evento().create().event(new Account.Opened("Ann", 10)).commit();
        String returned = evento().aggregator(id)
                .event(new Account.Deposited(5))
                .event(new Account.Deposited(6))
                .commit();
        evento().aggregator(id).event(new Account.Withdrawn(1)).commit();

        assertThat(returned).isEqualTo(id);
        assertThat(versions(store().readAggregate(ACCOUNT_TYPE, id, 0, 100))).containsExactly(1, 2, 3, 4);
        assertThat(evento().load(ACCOUNT, id))
                .hasValueSatisfying(l -> assertThat(l.state()).isEqualTo(new AccountView("Ann", 20, 2)));
    }

    @Test
    void appending_without_an_original_version_to_an_unknown_id_creates_the_aggregate() {
        String id = evento().aggregator("chosen-1")
                .event(new Account.Opened("Chosen", 1))
                .commit();

        assertThat(id).isEqualTo("chosen-1");
        assertThat(evento().load(ACCOUNT, "chosen-1"))
                .hasValueSatisfying(l -> assertThat(l.version()).isEqualTo(1));
    }

    @Test
    void original_version_zero_creates_an_aggregate_with_a_chosen_id() {
        String chosen = Evento.ids("user-1", "group-7");
        String id = evento().aggregator(chosen)
                .originalVersion(0)
                .event(new Account.Opened("Member", 0))
                .commit();

        assertThat(id).isEqualTo(chosen);
        assertThat(evento().load(ACCOUNT, chosen)).hasValueSatisfying(l -> {
            assertThat(l.id()).isEqualTo(chosen);
            assertThat(l.version()).isEqualTo(1);
            assertThat(l.state().owner()).isEqualTo("Member");
        });
    }

    @Test
    void ids_hashes_several_ids_into_one_deterministic_64_hex_id() {
        String ab = Evento.ids("a", "b");

        assertThat(ab).hasSize(64).matches("[0-9a-f]{64}");
        assertThat(Evento.ids("a", "b")).isEqualTo(ab);
        assertThat(Evento.ids("b", "a")).isNotEqualTo(ab).matches("[0-9a-f]{64}");
        assertThat(Evento.ids("a")).isNotEqualTo(ab);
    }

    @Test
    void ids_of_different_combinations_never_collide() {
        // Evento (Rust) length-prefixes each part for exactly this reason.
        assertThat(Evento.ids("ab", "c")).isNotEqualTo(Evento.ids("a", "bc"));
        assertThat(Evento.ids("user-1", "2-group")).isNotEqualTo(Evento.ids("user-12", "-group"));
        assertThat(Evento.ids("ab")).isNotEqualTo(Evento.ids("a", "b"));
        assertThat(Evento.ids("a", "")).isNotEqualTo(Evento.ids("", "a"));
    }

    @Test
    void original_version_zero_is_refused_when_the_aggregate_exists() {
        String id = evento().aggregator("taken")
                .originalVersion(0)
                .event(new Account.Opened("First", 1))
                .commit();
        List<StoredEvent> before = storedEvents(store());

        assertThatExceptionOfType(ConcurrencyException.class)
                .isThrownBy(() -> evento().aggregator(id)
                        .originalVersion(0)
                        .event(new Account.Opened("Second", 2))
                        .commit())
                .satisfies(e -> {
                    assertThat(e.aggregatorType()).isEqualTo(ACCOUNT_TYPE);
                    assertThat(e.aggregatorId()).isEqualTo("taken");
                    assertThat(e.expectedVersion()).isZero();
                });
        assertThat(storedEvents(store())).isEqualTo(before);
        assertThat(evento().load(ACCOUNT, id))
                .hasValueSatisfying(l -> assertThat(l.state().owner()).isEqualTo("First"));
    }

    @Test
    void events_of_one_commit_get_consecutive_versions_in_order_and_share_the_commit_metadata() {
        String other = evento().create().event(new Owner.Created("noise")).commit();
        String id = evento().create()
                .event(new Account.Opened("Multi", 0))
                .event(new Account.Deposited(1))
                .event(new Account.Deposited(2))
                .event(new Account.Renamed("Multiple"))
                .commit();
        evento().aggregator(other).event(new Owner.NameChanged("more noise")).commit();

        List<Event<?>> events = events(List.of(EventFilter.aggregate(Account.class, id)), RoutingFilter.ALL);
        assertThat(events).extracting(Event::version).containsExactly(1, 2, 3, 4);
        assertThat(payloads(events))
                .containsExactly(
                        new Account.Opened("Multi", 0),
                        new Account.Deposited(1),
                        new Account.Deposited(2),
                        new Account.Renamed("Multiple"));
        assertThat(events.stream().map(e -> e.metadata().id()).distinct()).hasSize(1);
        assertThat(events.stream().map(Event::id).distinct()).hasSize(4);
        // One commit is contiguous in the global order of a single-writer log, and in any case
        // in version order.
        List<String> globalOrder = ids(events(List.of(), RoutingFilter.ALL));
        assertThat(globalOrder).containsSubsequence(ids(events));
    }

    @Test
    void events_are_stored_under_their_annotated_names() {
        String id = evento().create()
                .event(new Account.Opened("Named", 0))
                .event(new Account.Renamed("Renamed"))
                .commit();

        assertThat(store().readAggregate(ACCOUNT_TYPE, id, 0, 10))
                .extracting(StoredEvent::aggregatorType, StoredEvent::name)
                .containsExactly(tuple(ACCOUNT_TYPE, "Opened"), tuple(ACCOUNT_TYPE, "OwnerRenamed"));
    }

    @Test
    void committing_nothing_is_an_illegal_state_and_writes_nothing() {
        evento().create().event(new Account.Opened("Existing", 1)).commit();
        List<StoredEvent> before = storedEvents(store());

        assertThatThrownBy(() -> evento().create().commit()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> evento().aggregator("x").commit()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> evento().aggregator("x").originalVersion(0).commit())
                .isInstanceOf(IllegalStateException.class);
        assertThat(storedEvents(store())).isEqualTo(before);
    }

    @Test
    void a_commit_builder_cannot_be_committed_twice() {
        CommitBuilder commit = evento().create().event(new Account.Opened("Once", 1));
        String id = commit.commit();
        List<StoredEvent> before = storedEvents(store());

        assertThatThrownBy(commit::commit).isInstanceOf(IllegalStateException.class);
        assertThat(storedEvents(store())).isEqualTo(before);
        assertThat(evento().load(ACCOUNT, id))
                .hasValueSatisfying(l -> assertThat(l.version()).isEqualTo(1));
    }

    @Test
    void an_event_of_an_unregistered_family_is_refused_and_nothing_is_written() {
        evento().create().event(new Account.Opened("Existing", 1)).commit();
        List<StoredEvent> before = storedEvents(store());

        assertThatThrownBy(
                        () -> evento().create().event(new Audit.Logged("hello")).commit())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Audit.Logged.class.getName());
        assertThatThrownBy(() -> evento().create()
                        .event(new Account.Opened("x", 1))
                        .event(new Audit.Logged("hello"))
                        .commit())
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(storedEvents(store())).isEqualTo(before);
    }

    @Test
    void events_of_two_families_in_one_commit_are_refused_and_nothing_is_written() {
        String id = evento().create().event(new Account.Opened("Existing", 1)).commit();
        List<StoredEvent> before = storedEvents(store());

        assertThatThrownBy(() -> evento().aggregator(id)
                        .event(new Account.Deposited(1))
                        .event(new Owner.Created("intruder"))
                        .commit())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(ACCOUNT_TYPE)
                .hasMessageContaining(OWNER_TYPE);
        assertThat(storedEvents(store())).isEqualTo(before);
    }

    @Test
    void a_committed_event_carries_its_identity_version_name_and_commit_time() {
        Instant before = Instant.now();
        String id = evento().create()
                .routingKey("rk")
                .event(new Account.Opened("Stamped", 3))
                .event(new Account.Renamed("Restamped"))
                .commit();
        Instant after = Instant.now();

        List<Event<?>> events = events(List.of(), RoutingFilter.ALL);
        assertThat(events).hasSize(2);
        assertThat(events).allSatisfy(e -> {
            assertThat(e.id()).matches(ULID);
            assertThat(e.aggregatorType()).isEqualTo(ACCOUNT_TYPE);
            assertThat(e.aggregatorId()).isEqualTo(id);
            assertThat(e.routingKey()).contains("rk");
            assertThat(e.timestamp()).isBetween(before.minusMillis(1), after.plusMillis(1));
        });
        assertThat(events).extracting(Event::name).containsExactly("Opened", "OwnerRenamed");
        assertThat(events).extracting(Event::version).containsExactly(1, 2);
    }

    @Test
    void a_written_event_reads_back_field_for_field_and_byte_for_byte() {
        byte[] data = "{\"owner\":\"Raw\",\"balance\":42}".getBytes(StandardCharsets.UTF_8);
        StoredEvent first = stored(ACCOUNT_TYPE, "raw", 1, "Opened", Optional.of("raw-key"), data);
        StoredEvent second = new StoredEvent(
                newEventId(),
                ACCOUNT_TYPE,
                "raw",
                2,
                "Deposited",
                Optional.of("raw-key"),
                json("{\"amount\":8}"),
                json("{\"id\":\"req-1\",\"requestedBy\":\"me\",\"n\":1}"),
                TIMESTAMP_MICROS + 1_000);
        store().write(List.of(first, second));

        assertThat(storedEvents(store())).containsExactly(first, second);
        assertThat(store().readAggregate(ACCOUNT_TYPE, "raw", 0, 10)).containsExactly(first, second);
        assertThat(store().lastEvent(ACCOUNT_TYPE, "raw")).contains(second);
        assertThat(evento().load(ACCOUNT, "raw")).hasValueSatisfying(l -> {
            assertThat(l.state()).isEqualTo(new AccountView("Raw", 50, 1));
            assertThat(l.version()).isEqualTo(2);
        });
        assertThat(events(List.of(), RoutingFilter.ALL).get(1).metadata()).satisfies(m -> {
            assertThat(m.id()).isEqualTo("req-1");
            assertThat(m.requestedBy()).contains("me");
            assertThat(m.get("n", Integer.class)).contains(1);
        });
    }
}
