package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.evento.Edge;
import io.evento.LeaseLostException;
import io.evento.PageRequest;
import io.evento.spi.Executor;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.SubscriberState;
import io.evento.tck.domain.Account;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The store side of subscriptions: subscriber state, reset, pause, the dead-letter store and commit
 * notifications. Run by {@link ExecutorTck} as its {@code SubscriberStore} group.
 */
abstract class SubscriberStoreScenarios extends Scenarios {
    private List<Edge<StoredEvent>> edges;

    SubscriberStoreScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @BeforeEach
    void seedThreeEvents() {
        String id = evento().create().event(new Account.Opened("ops", 1)).commit();
        evento().aggregator(id).event(new Account.Deposited(2)).commit();
        evento().aggregator(id).event(new Account.Deposited(3)).commit();
        edges = store().read(ReadQuery.all(PageRequest.forward(3))).edges();
        assertThat(edges).hasSize(3);
    }

    @Test
    void a_key_has_no_state_until_it_is_leased_and_then_shows_worker_token_expiry_and_checkpoint() {
        assertThat(store().subscriber("ops")).isEmpty();

        Lease lease = store().acquireLease("ops", "w1", LONG_TTL).orElseThrow();
        SubscriberState leased = store().subscriber("ops").orElseThrow();
        assertThat(leased.key()).isEqualTo("ops");
        assertThat(leased.workerId()).contains("w1");
        assertThat(leased.token()).isEqualTo(lease.token());
        assertThat(leased.leaseExpiresAt())
                .isCloseTo(lease.expiresAt(), org.assertj.core.api.Assertions.within(1, ChronoUnit.MILLIS));
        assertThat(leased.leased(Instant.now())).isTrue();
        assertThat(leased.cursor()).isEmpty();
        assertThat(leased.paused()).isFalse();

        store().acknowledge(lease, edges.get(1).cursor());
        assertThat(store().subscriber("ops").orElseThrow().cursor())
                .contains(edges.get(1).cursor());

        store().releaseLease(lease);
        SubscriberState released = store().subscriber("ops").orElseThrow();
        assertThat(released.leased(Instant.now())).isFalse();
        assertThat(released.cursor()).contains(edges.get(1).cursor());
        assertThat(store().subscriber("other")).isEmpty();
    }

    @Test
    void a_reset_moves_the_checkpoint_and_fences_off_the_holder_even_if_it_retakes_the_lease() {
        Lease lease = store().acquireLease("ops", "w1", LONG_TTL).orElseThrow();
        store().acknowledge(lease, edges.get(2).cursor());

        store().resetSubscriber("ops", Optional.of(edges.get(0).cursor()));

        SubscriberState reset = store().subscriber("ops").orElseThrow();
        assertThat(reset.cursor()).contains(edges.get(0).cursor());
        assertThat(reset.leased(Instant.now())).isFalse();
        assertThatThrownBy(() -> store().acknowledge(lease, edges.get(2).cursor()))
                .isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store().park(lease, parked("ops", 1, "boom"))).isInstanceOf(LeaseLostException.class);
        assertThat(store().subscriberCursor("ops")).contains(edges.get(0).cursor());

        Lease again = store().acquireLease("ops", "w1", LONG_TTL).orElseThrow();
        assertThat(again.token()).isGreaterThan(lease.token());
        assertThatThrownBy(() -> store().acknowledge(lease, edges.get(2).cursor()))
                .as("the old lease stays fenced off after its worker took a new one")
                .isInstanceOf(LeaseLostException.class);
        store().acknowledge(again, edges.get(1).cursor());
        assertThat(store().subscriberCursor("ops")).contains(edges.get(1).cursor());

        store().resetSubscriber("ops", Optional.empty());
        assertThat(store().subscriberCursor("ops")).isEmpty();
    }

    @Test
    void resetting_an_unknown_key_creates_it_at_that_checkpoint() {
        store().resetSubscriber("fresh", Optional.of(edges.get(1).cursor()));

        assertThat(store().subscriberCursor("fresh")).contains(edges.get(1).cursor());
        Lease lease = store().acquireLease("fresh", "w1", LONG_TTL).orElseThrow();
        store().acknowledge(lease, edges.get(2).cursor());
        assertThat(store().subscriberCursor("fresh")).contains(edges.get(2).cursor());
    }

    @Test
    void a_paused_key_cannot_be_leased_or_renewed_but_its_holder_can_still_acknowledge_until_resumed() {
        Lease lease = store().acquireLease("ops", "w1", LONG_TTL).orElseThrow();

        store().pauseSubscriber("ops", true);

        assertThat(store().subscriber("ops").orElseThrow().paused()).isTrue();
        assertThat(store().acquireLease("ops", "w1", LONG_TTL)).as("renewal").isEmpty();
        assertThat(store().acquireLease("ops", "w2", LONG_TTL)).isEmpty();
        store().acknowledge(lease, edges.get(0).cursor());
        assertThat(store().subscriberCursor("ops")).contains(edges.get(0).cursor());

        store().pauseSubscriber("ops", false);
        assertThat(store().subscriber("ops").orElseThrow().paused()).isFalse();
        assertThat(store().acquireLease("ops", "w1", LONG_TTL)).isPresent();

        store().pauseSubscriber("never-leased", true);
        assertThat(store().subscriber("never-leased").orElseThrow().paused()).isTrue();
        assertThat(store().acquireLease("never-leased", "w1", LONG_TTL)).isEmpty();
        store().resetSubscriber("never-leased", Optional.empty());
        assertThat(store().subscriber("never-leased").orElseThrow().paused())
                .as("a reset keeps the paused flag")
                .isTrue();
    }

    @Test
    void parked_events_are_listed_oldest_first_replaced_when_parked_again_and_removed_by_unpark() {
        Lease lease = store().acquireLease("ops", "w1", LONG_TTL).orElseThrow();
        Lease other = store().acquireLease("ops-other", "w1", LONG_TTL).orElseThrow();

        store().park(lease, parked("ops", 2, "first failure"));
        store().park(lease, parked("ops", 1, "second failure"));
        store().park(other, parked("ops-other", 3, "elsewhere"));
        store().park(
                        lease,
                        new ParkedEvent(
                                "ops",
                                event(2).id(),
                                "tck/Account",
                                event(2).aggregatorId(),
                                2,
                                "failed again",
                                7,
                                Instant.now()));

        List<ParkedEvent> list = store().parked("ops", 100);
        assertThat(list).extracting(ParkedEvent::eventId).containsExactly(event(2).id(), event(1).id());
        ParkedEvent replaced = list.getFirst();
        assertThat(replaced.error()).isEqualTo("failed again");
        assertThat(replaced.attempts()).isEqualTo(7);
        assertThat(replaced.aggregatorType()).isEqualTo("tck/Account");
        assertThat(replaced.aggregatorId()).isEqualTo(event(2).aggregatorId());
        assertThat(replaced.version()).isEqualTo(2);
        assertThat(store().parked("ops", 1)).extracting(ParkedEvent::eventId).containsExactly(event(2).id());
        assertThat(store().parked("ops-other", 100))
                .extracting(ParkedEvent::eventId)
                .containsExactly(event(3).id());
        assertThat(store().parked("nobody", 100)).isEmpty();

        assertThat(store().unpark("ops", event(2).id())).isTrue();
        assertThat(store().unpark("ops", event(2).id())).isFalse();
        assertThat(store().unpark("ops-other", event(1).id())).isFalse();
        assertThat(store().parked("ops", 100)).extracting(ParkedEvent::eventId).containsExactly(event(1).id());
        assertThat(store().parked("ops-other", 100)).hasSize(1);
    }

    @Test
    void parking_needs_the_lease_of_the_same_key_and_keeps_long_and_odd_errors_exactly() {
        Lease lease = store().acquireLease("ops", "w1", LONG_TTL).orElseThrow();
        assertThatThrownBy(() -> store().park(lease, parked("ops-other", 1, "x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ops-other");
        store().releaseLease(lease);
        assertThatThrownBy(() -> store().park(lease, parked("ops", 1, "x"))).isInstanceOf(LeaseLostException.class);
        assertThat(store().parked("ops", 100)).isEmpty();

        Lease again = store().acquireLease("ops", "w1", LONG_TTL).orElseThrow();
        String odd = "ünïcødé ' \" ; -- %_ \\ ".repeat(200).substring(0, io.evento.Limits.ERROR_MAX_LENGTH - 2) + "🙂";
        store().park(again, parked("ops", 1, odd));
        assertThat(store().parked("ops", 100).getFirst().error()).isEqualTo(odd);
        assertThatThrownBy(() -> parked("ops", 1, "x".repeat(io.evento.Limits.ERROR_MAX_LENGTH + 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store().parked("ops", 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void commit_listeners_are_called_after_a_commit_until_their_registration_is_closed() {
        AtomicInteger closedCalls = new AtomicInteger();
        AtomicInteger openCalls = new AtomicInteger();
        Executor.Registration closed = store().onCommit(closedCalls::incrementAndGet);
        Executor.Registration open = store().onCommit(openCalls::incrementAndGet);
        try {
            closed.close();
            int before = closedCalls.get();

            evento().create().event(new Account.Opened("wake", 1)).commit();

            await().atMost(PATIENCE)
                    .untilAsserted(() -> assertThat(openCalls.get()).isPositive());
            assertThat(closedCalls.get()).isEqualTo(before);
            closed.close();
        } finally {
            open.close();
        }
    }

    private StoredEvent event(int n) {
        return edges.get(n - 1).node();
    }

    private ParkedEvent parked(String key, int n, String error) {
        StoredEvent e = event(n);
        return new ParkedEvent(key, e.id(), e.aggregatorType(), e.aggregatorId(), e.version(), error, 3, Instant.now());
    }
}
