package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.evento.Edge;
import io.evento.InvalidCursorException;
import io.evento.LeaseLostException;
import io.evento.Limits;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.spi.Executor;
import io.evento.spi.Lease;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One worker per subscription key: leases with expiry, fencing tokens and checkpoints.
 *
 * <p>Run by {@link ExecutorTck} as its {@code Leases} group.
 */
abstract class LeaseScenarios extends Scenarios {
    private List<String> cursors;

    LeaseScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @BeforeEach
    void seedEventsToAcknowledge() {
        seedDeposits(3);
        cursors = store().read(ReadQuery.all(PageRequest.forward(3))).edges().stream()
                .map(Edge::cursor)
                .toList();
    }

    @Test
    void a_second_worker_cannot_take_an_unexpired_lease() {
        Lease lease = store().acquireLease("sub", "w1", LONG_TTL).orElseThrow();

        assertThat(lease.key()).isEqualTo("sub");
        assertThat(lease.workerId()).isEqualTo("w1");
        assertThat(lease.expiresAt()).isAfter(Instant.now());
        assertThat(store().acquireLease("sub", "w2", LONG_TTL)).isEmpty();
        assertThat(store().acquireLease("sub", "w2", TINY_TTL)).isEmpty();
        store().acknowledge(lease, cursors.get(0));
        assertThat(store().subscriberCursor("sub")).contains(cursors.get(0));
    }

    @Test
    void the_same_worker_reacquiring_keeps_its_token_and_extends_the_lease() {
        Lease first = store().acquireLease("sub", "w1", Duration.ofMinutes(1)).orElseThrow();
        Lease again = store().acquireLease("sub", "w1", Duration.ofMinutes(10)).orElseThrow();

        assertThat(again.token()).isEqualTo(first.token());
        assertThat(again.expiresAt()).isAfter(first.expiresAt());
        assertThat(store().acquireLease("sub", "w2", LONG_TTL)).isEmpty();
        store().acknowledge(again, cursors.get(1));
        assertThat(store().subscriberCursor("sub")).contains(cursors.get(1));
    }

    @Test
    void leases_of_different_keys_are_independent() {
        Lease a = store().acquireLease("sub-a", "w1", LONG_TTL).orElseThrow();
        Lease b = store().acquireLease("sub-b", "w2", LONG_TTL).orElseThrow();

        store().acknowledge(a, cursors.get(0));
        store().acknowledge(b, cursors.get(2));

        assertThat(store().subscriberCursor("sub-a")).contains(cursors.get(0));
        assertThat(store().subscriberCursor("sub-b")).contains(cursors.get(2));
        assertThat(store().subscriberCursor("sub-c")).isEmpty();
        assertThat(store().acquireLease("sub-a", "w2", LONG_TTL)).isEmpty();
        assertThat(store().acquireLease("sub-b", "w1", LONG_TTL)).isEmpty();
    }

    @Test
    void an_expired_lease_is_taken_over_with_a_higher_token_and_the_old_worker_is_fenced_off() {
        Lease old = store().acquireLease("sub", "w1", TINY_TTL).orElseThrow();

        Lease taken = awaitLease("sub", "w2");

        assertThat(taken.token()).isGreaterThan(old.token());
        store().acknowledge(taken, cursors.get(1));
        assertThatThrownBy(() -> store().acknowledge(old, cursors.get(2)))
                .isInstanceOf(LeaseLostException.class)
                .hasMessageContaining("w1")
                .hasMessageContaining("sub");
        assertThat(store().subscriberCursor("sub")).contains(cursors.get(1));
        assertThat(store().acquireLease("sub", "w1", LONG_TTL)).isEmpty();
        store().acknowledge(taken, cursors.get(2));
        assertThat(store().subscriberCursor("sub")).contains(cursors.get(2));
    }

    @Test
    void an_expired_lease_cannot_acknowledge_even_if_nobody_took_it_over() {
        Lease lease = store().acquireLease("sub", "w1", TINY_TTL).orElseThrow();
        await().atMost(PATIENCE)
                .pollInterval(Duration.ofMillis(5))
                .until(() -> Instant.now().isAfter(lease.expiresAt().plusMillis(5)));

        assertThatThrownBy(() -> store().acknowledge(lease, cursors.get(0))).isInstanceOf(LeaseLostException.class);
        assertThat(store().subscriberCursor("sub")).isEmpty();
    }

    @Test
    void the_checkpoint_survives_a_change_of_worker() {
        Lease first = store().acquireLease("sub", "w1", LONG_TTL).orElseThrow();
        store().acknowledge(first, cursors.get(1));
        store().releaseLease(first);

        Lease second = store().acquireLease("sub", "w2", LONG_TTL).orElseThrow();

        assertThat(store().subscriberCursor("sub")).contains(cursors.get(1));
        Page<StoredEvent> rest = store().read(ReadQuery.all(
                PageRequest.forward(10, store().subscriberCursor("sub").orElseThrow())));
        assertThat(rest.edges()).hasSize(1);
        store().acknowledge(second, rest.pageInfo().endCursor().orElseThrow());
        assertThat(store().read(ReadQuery.all(PageRequest.forward(
                                10, store().subscriberCursor("sub").orElseThrow())))
                        .edges())
                .isEmpty();
    }

    @Test
    void release_lets_another_worker_acquire_at_once_and_fences_the_releaser() {
        Lease first = store().acquireLease("sub", "w1", LONG_TTL).orElseThrow();
        store().acknowledge(first, cursors.get(0));

        store().releaseLease(first);
        Lease second = store().acquireLease("sub", "w2", LONG_TTL).orElseThrow();

        assertThat(second.token()).isGreaterThan(first.token());
        assertThatThrownBy(() -> store().acknowledge(first, cursors.get(1))).isInstanceOf(LeaseLostException.class);
        assertThat(store().subscriberCursor("sub")).contains(cursors.get(0));
    }

    @Test
    void releasing_a_lost_lease_does_not_disturb_the_new_holder() {
        Lease old = store().acquireLease("sub", "w1", TINY_TTL).orElseThrow();
        Lease taken = awaitLease("sub", "w2");

        store().releaseLease(old);

        assertThat(store().acquireLease("sub", "w3", LONG_TTL)).isEmpty();
        store().acknowledge(taken, cursors.get(2));
        assertThat(store().subscriberCursor("sub")).contains(cursors.get(2));
    }

    @Test
    void tokens_grow_every_time_the_lease_changes_hands() {
        List<Long> tokens = new ArrayList<>();
        for (String worker : List.of("w1", "w2", "w1", "w3")) {
            Lease lease = store().acquireLease("sub", worker, LONG_TTL).orElseThrow();
            tokens.add(lease.token());
            store().releaseLease(lease);
        }

        assertThat(tokens).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void a_forged_or_foreign_lease_cannot_acknowledge() {
        Lease real = store().acquireLease("sub", "w1", LONG_TTL).orElseThrow();
        store().acknowledge(real, cursors.get(0));
        List<Lease> forged = List.of(
                new Lease("sub", "w1", real.token() + 1, real.expiresAt()),
                new Lease("sub", "w1", real.token() - 1, real.expiresAt()),
                new Lease("sub", "w2", real.token(), real.expiresAt()),
                new Lease("other", "w1", real.token(), real.expiresAt()));

        for (Lease lease : forged) {
            assertThatThrownBy(() -> store().acknowledge(lease, cursors.get(2)))
                    .as("%s", lease)
                    .isInstanceOf(LeaseLostException.class);
        }
        assertThat(store().subscriberCursor("sub")).contains(cursors.get(0));
        assertThat(store().subscriberCursor("other")).isEmpty();
    }

    @Test
    void a_checkpoint_is_stored_verbatim_and_a_foreign_one_is_refused_when_read_with() {
        Lease lease = store().acquireLease("sub", "w1", LONG_TTL).orElseThrow();
        store().acknowledge(lease, cursors.get(1));
        assertThat(store().subscriberCursor("sub")).contains(cursors.get(1));
        Executor other = openStore();
        eventoOn(other).create().event(new Account.Opened("elsewhere", 1)).commit();
        String foreign = other.read(ReadQuery.all(PageRequest.forward(1)))
                .pageInfo()
                .endCursor()
                .orElseThrow();

        store().acknowledge(lease, foreign);
        String stored = store().subscriberCursor("sub").orElseThrow();
        assertThat(stored).isEqualTo(foreign);
        assertThatThrownBy(() -> store().read(ReadQuery.all(PageRequest.forward(10, stored))))
                .isInstanceOf(InvalidCursorException.class);
    }

    @Test
    void an_empty_oversize_or_nul_checkpoint_is_refused_and_the_checkpoint_is_unchanged() {
        Lease lease = store().acquireLease("sub", "w1", LONG_TTL).orElseThrow();
        store().acknowledge(lease, cursors.get(1));
        for (String bad : List.of("", "x".repeat(Limits.CURSOR_MAX_LENGTH + 1), "a\0b")) {
            assertThatThrownBy(() -> store().acknowledge(lease, bad))
                    .as("cursor of length %d", bad.length())
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(store().subscriberCursor("sub")).contains(cursors.get(1));
        String longest = "c".repeat(Limits.CURSOR_MAX_LENGTH);
        store().acknowledge(lease, longest);
        assertThat(store().subscriberCursor("sub")).contains(longest);
    }

    private Lease awaitLease(String key, String worker) {
        AtomicReference<Lease> taken = new AtomicReference<>();
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(5)).until(() -> {
            store().acquireLease(key, worker, LONG_TTL).ifPresent(taken::set);
            return taken.get() != null;
        });
        return taken.get();
    }
}
