package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.evento.Subscription;
import io.evento.SubscriptionHandle;
import io.evento.SubscriptionStatus;
import io.evento.tck.domain.Account;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Operating subscriptions: pause and resume, status and lag, partitions shared between workers, the
 * same subscription started twice, interrupts and shutdown during a retry backoff.
 *
 * <p>Run by {@link ExecutorTck} as its {@code SubscriptionOperations} group.
 */
abstract class SubscriptionOperationScenarios extends SubscribingScenarios {
    SubscriptionOperationScenarios(StoresUnderTest stores) {
        super(stores);
    }

    // ---------------------------------------------------------------------------------------------
    // Operations
    // ---------------------------------------------------------------------------------------------

    @Test
    void a_paused_subscription_releases_its_lease_processes_nothing_and_catches_up_when_resumed() {
        seedDepositsOverFourAccounts(3);
        Recorder seen = new Recorder();
        Subscription subscription = evento().subscription("pausable")
                .on(Account.class, seen)
                .leaseTtl(Duration.ofMillis(1_500))
                .pollInterval(FAST_POLL)
                .build();
        handles.add(subscription.start());
        seen.awaitCount(3);

        subscription.pause();
        await().atMost(SUBSCRIPTION_PATIENCE)
                .until(() -> subscription.status().getFirst().workerId().isEmpty());
        seedDepositsOverFourAccounts(4);
        SubscriptionStatus paused = subscription.status().getFirst();

        assertThat(paused.paused()).isTrue();
        assertThat(paused.lagEvents()).isEqualTo(4);
        assertThat(seen.ids()).hasSize(3);
        subscription.resume();
        seen.awaitCount(7);
        assertThat(seen.ids()).containsExactlyElementsOf(globalOrder());
    }

    @Test
    void status_reports_the_worker_checkpoint_and_lag_in_events_and_time() {
        seedDepositsOverFourAccounts(5);
        Subscription subscription = evento().subscription("observed")
                .on(Account.class, (e, c) -> {})
                .workerId("observer-1")
                .pollInterval(FAST_POLL)
                .build();

        SubscriptionStatus before = subscription.status().getFirst();
        assertThat(before.key()).isEqualTo("observed");
        assertThat(before.cursor()).isEmpty();
        assertThat(before.workerId()).isEmpty();
        assertThat(before.lagEvents()).isEqualTo(5);
        assertThat(before.lagTime()).isPositive();

        handles.add(subscription.start());
        await().atMost(SUBSCRIPTION_PATIENCE).untilAsserted(() -> {
            SubscriptionStatus now = subscription.status().getFirst();
            assertThat(now.lagEvents()).isZero();
            assertThat(now.lagTime()).isZero();
            assertThat(now.workerId()).hasValueSatisfying(w -> assertThat(w).startsWith("observer-1/"));
            assertThat(now.leaseExpiresAt()).isPresent();
            assertThat(now.cursor()).contains(lastCursor());
            assertThat(now.parked()).isZero();
        });
    }

    @Test
    void partitions_are_shared_between_workers_and_each_aggregate_stays_in_order() {
        for (int round = 0; round < 8; round++) {
            for (int a = 0; a < 12; a++) {
                evento().aggregator("part-" + a)
                        .event(new Account.Deposited(round))
                        .commit();
            }
        }
        Map<String, List<Long>> byAggregate = new ConcurrentHashMap<>();
        Set<String> ids = ConcurrentHashMap.newKeySet();
        Map<String, Set<String>> keysByAggregate = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
        AtomicInteger maxInFlight = new AtomicInteger();
        Subscription.Handler<Account> handler = (e, c) -> {
            AtomicInteger running = inFlight.computeIfAbsent(c.key(), k -> new AtomicInteger());
            maxInFlight.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                if (e.data() instanceof Account.Deposited d) {
                    byAggregate
                            .computeIfAbsent(e.aggregatorId(), a -> new CopyOnWriteArrayList<>())
                            .add(d.amount());
                    keysByAggregate
                            .computeIfAbsent(e.aggregatorId(), a -> ConcurrentHashMap.newKeySet())
                            .add(c.key());
                    ids.add(e.id());
                }
            } finally {
                running.decrementAndGet();
            }
        };
        Subscription a = evento().subscription("shared")
                .on(Account.class, handler)
                .partitions(4)
                .workerId("part-worker-a")
                .leaseTtl(Duration.ofSeconds(2))
                .pollInterval(FAST_POLL)
                .build();
        Subscription b = evento().subscription("shared")
                .on(Account.class, handler)
                .partitions(4)
                .workerId("part-worker-b")
                .leaseTtl(Duration.ofSeconds(2))
                .pollInterval(FAST_POLL)
                .build();
        handles.add(a.start());
        handles.add(b.start());

        await().atMost(SUBSCRIPTION_PATIENCE).until(() -> ids.size() == 96);
        await().atMost(SUBSCRIPTION_PATIENCE)
                .untilAsserted(() -> assertThat(a.status().stream()
                                .map(s -> s.workerId().orElse("none").replaceAll("/.*", ""))
                                .toList())
                        .as("two workers share four partitions evenly")
                        .containsOnly("part-worker-a", "part-worker-b")
                        .filteredOn("part-worker-a"::equals)
                        .hasSize(2));

        assertThat(a.keys()).containsExactly("shared#0/4", "shared#1/4", "shared#2/4", "shared#3/4");
        assertThat(maxInFlight.get())
                .as("handlers running at once on one partition")
                .isEqualTo(1);
        byAggregate.values().forEach(amounts -> assertThat(amounts).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L));
        keysByAggregate
                .values()
                .forEach(keys ->
                        assertThat(keys).as("one partition per aggregate").hasSize(1));
        assertThat(keysByAggregate.values().stream().flatMap(Set::stream).distinct())
                .as("the aggregates spread over the partitions")
                .hasSizeGreaterThan(1);
    }

    @Test
    void starting_the_same_subscription_twice_still_runs_one_worker_at_a_time() {
        seedDepositsOverFourAccounts(40);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        Set<String> handled = ConcurrentHashMap.newKeySet();
        Subscription twice = evento().subscription("twice")
                .on(Account.class, (e, c) -> {
                    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                    try {
                        Thread.sleep(1);
                        handled.add(e.id());
                    } finally {
                        inFlight.decrementAndGet();
                    }
                })
                .chunkSize(5)
                .leaseTtl(Duration.ofSeconds(5))
                .pollInterval(FAST_POLL)
                .build();
        handles.add(twice.start());
        handles.add(twice.start());

        await().atMost(SUBSCRIPTION_PATIENCE).until(() -> handled.size() == 40);
        assertThatThrownBy(twice::execute)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("leased by another worker");
        assertThat(maxInFlight.get()).isEqualTo(1);
    }

    @Test
    void a_handler_that_restores_an_interrupt_does_not_cut_the_retry_backoff_short() {
        seedDepositsOverFourAccounts(3);
        String flaky = globalOrder().get(1);
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        Recorder seen = new Recorder();
        started(evento().subscription("interrupted")
                .on(Account.class, (e, c) -> {
                    if (e.id().equals(flaky)) {
                        attempts.add(c.attempt());
                        if (c.attempt() == 1) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException("interrupted while calling out");
                        }
                    }
                    seen.handle(e, c);
                })
                .retry(3)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(2))
                .pollInterval(FAST_POLL));

        seen.awaitCount(3);

        assertThat(attempts).containsExactly(1, 2);
        assertThat(seen.ids()).containsExactlyElementsOf(globalOrder());
    }

    @Test
    void shutdown_during_a_retry_backoff_returns_at_once_with_the_checkpoint_before_the_failing_event() {
        seedDepositsOverFourAccounts(4);
        String failing = globalOrder().get(2);
        CountDownLatch failedOnce = new CountDownLatch(1);
        SubscriptionHandle handle = evento().subscription("patient")
                .on(Account.class, (e, c) -> {
                    if (e.id().equals(failing)) {
                        failedOnce.countDown();
                        throw new IllegalStateException("down for maintenance");
                    }
                })
                .retry(5)
                .backoff(Duration.ofMinutes(10), Duration.ofMinutes(10))
                .pollInterval(FAST_POLL)
                .start();
        handles.add(handle);
        await().atMost(SUBSCRIPTION_PATIENCE).until(() -> failedOnce.getCount() == 0);

        handle.shutdown();

        assertThat(handle.isRunning()).isFalse();
        assertThat(handle.failure()).isEmpty();
        assertThat(store().subscriberCursor("patient")).contains(cursorOf(1));
        assertThat(store().subscriber("patient").orElseThrow().leased(java.time.Instant.now()))
                .isFalse();
    }

    @Test
    void execute_on_a_paused_subscription_says_it_is_paused() {
        seedDepositsOverFourAccounts(1);
        Subscription paused =
                evento().subscription("held").on(Account.class, (e, c) -> {}).build();
        paused.pause();

        assertThatThrownBy(paused::execute)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("paused");
        paused.resume();
        paused.execute();
        assertThat(paused.status().getFirst().lagEvents()).isZero();
    }
}
