package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.Event;
import io.evento.EventFilter;
import io.evento.Metadata;
import io.evento.RoutingFilter;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Origin;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Metadata is stored with every event of a commit and reads back intact.
 *
 * <p>Run by {@link ExecutorTck} as its {@code CommitMetadata} group.
 */
abstract class CommitMetadataScenarios extends Scenarios {
    CommitMetadataScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void id_requester_and_typed_custom_entries_survive_a_round_trip() {
        Origin origin = new Origin("web", 3, List.of("a", "b"));
        Metadata metadata = Metadata.create()
                .withId("request-42")
                .withRequestedBy("user-1")
                .withRequestedAs("admin")
                .with("ip", "10.0.0.7")
                .with("attempt", 3)
                .with("amount", 12_345_678_901L)
                .with("ratio", 0.25)
                .with("flag", true)
                .with("origin", origin);
        String id = evento().create()
                .metadata(metadata)
                .event(new Account.Opened("Meta", 1))
                .event(new Account.Deposited(2))
                .commit();

        List<Event<?>> events = events(List.of(EventFilter.aggregate(Account.class, id)), RoutingFilter.ALL);
        assertThat(events).hasSize(2).allSatisfy(e -> {
            Metadata m = e.metadata();
            assertThat(m.id()).isEqualTo("request-42");
            assertThat(m.requestedBy()).contains("user-1");
            assertThat(m.requestedAs()).contains("admin");
            assertThat(m.get("ip", String.class)).contains("10.0.0.7");
            assertThat(m.get("attempt", Integer.class)).contains(3);
            assertThat(m.get("amount", Long.class)).contains(12_345_678_901L);
            assertThat(m.get("ratio", Double.class)).contains(0.25);
            assertThat(m.get("flag", Boolean.class)).contains(true);
            assertThat(m.get("origin", Origin.class)).contains(origin);
            assertThat(m.get("missing", String.class)).isEmpty();
            assertThat(m.keys()).containsExactly("ip", "attempt", "amount", "ratio", "flag", "origin");
            assertThat(m).isEqualTo(metadata);
        });
    }

    @Test
    void requested_by_and_requested_as_set_on_the_commit_override_the_metadata() {
        String id = evento().create()
                .metadata(Metadata.create().withRequestedBy("alice").withRequestedAs("alice"))
                .requestedBy("bob")
                .requestedAs("support")
                .event(new Account.Opened("Override", 1))
                .commit();

        assertThat(events(List.of(EventFilter.aggregate(Account.class, id)), RoutingFilter.ALL))
                .singleElement()
                .satisfies(e -> {
                    assertThat(e.metadata().requestedBy()).contains("bob");
                    assertThat(e.metadata().requestedAs()).contains("support");
                });
    }

    @Test
    void default_metadata_has_a_fresh_ulid_id_per_commit_and_nothing_else() {
        String first = evento().create()
                .event(new Account.Opened("One", 1))
                .event(new Account.Deposited(1))
                .commit();
        String second = evento().create().event(new Account.Opened("Two", 2)).commit();

        List<Event<?>> events = events(List.of(), RoutingFilter.ALL);
        assertThat(events).hasSize(3).allSatisfy(e -> {
            assertThat(e.metadata().id()).matches(ULID);
            assertThat(e.metadata().requestedBy()).isEmpty();
            assertThat(e.metadata().requestedAs()).isEmpty();
            assertThat(e.metadata().keys()).isEmpty();
        });
        assertThat(events.get(0).aggregatorId()).isEqualTo(first);
        assertThat(events.get(2).aggregatorId()).isEqualTo(second);
        assertThat(events.get(0).metadata().id())
                .isEqualTo(events.get(1).metadata().id());
        assertThat(events.get(2).metadata().id())
                .isNotEqualTo(events.get(0).metadata().id());
    }
}
