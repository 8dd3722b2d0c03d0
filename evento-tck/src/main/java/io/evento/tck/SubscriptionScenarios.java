package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.evento.Evento;
import io.evento.InvalidCursorException;
import io.evento.Subscription;
import io.evento.SubscriptionFailedException;
import io.evento.SubscriptionHandle;
import io.evento.UnhandledEventException;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What a subscription reads, and how it runs: routing, handlers of several types, the safety check,
 * catch-up then live, checkpoints across restarts, one worker at a time, crash takeover and reset.
 *
 * <p>Run by {@link ExecutorTck} as its {@code Subscriptions} group.
 */
abstract class SubscriptionScenarios extends SubscribingScenarios {
    SubscriptionScenarios(StoresUnderTest stores) {
        super(stores);
    }

    // ---------------------------------------------------------------------------------------------
    // What a subscription reads (Evento's subscribe scenarios)
    // ---------------------------------------------------------------------------------------------

    @Test
    void by_default_a_subscription_processes_the_events_without_a_routing_key() {
        Map<String, List<String>> seeded = seedRouted();
        Recorder seen = new Recorder();

        evento().subscription("default-key").on(Account.class, seen).execute();

        assertThat(seen.ids()).containsExactlyElementsOf(seeded.get(""));
    }

    @Test
    void a_routing_key_selects_the_events_of_aggregates_created_with_it() {
        Map<String, List<String>> seeded = seedRouted();
        Recorder seen = new Recorder();

        evento().subscription("eu-only")
                .on(Account.class, seen)
                .routingKey("eu")
                .execute();

        assertThat(seen.ids()).containsExactlyElementsOf(seeded.get("eu"));
    }

    @Test
    void all_processes_every_event_whatever_its_routing_key_in_global_order() {
        seedRouted();
        Recorder seen = new Recorder();

        evento().subscription("everything").on(Account.class, seen).all().execute();

        assertThat(seen.ids()).containsExactlyElementsOf(globalOrder());
    }

    @Test
    void handlers_of_several_aggregate_types_receive_their_events_interleaved_in_global_order() {
        String account = evento().create().event(new Account.Opened("ann", 1)).commit();
        String owner = evento().create().event(new Owner.Created("Ann")).commit();
        evento().aggregator(account).event(new Account.Deposited(5)).commit();
        evento().aggregator(owner).event(new Owner.NameChanged("Annie")).commit();
        List<String> order = new CopyOnWriteArrayList<>();

        evento().subscription("two-types")
                .on(Account.Opened.class, (e, c) -> order.add("opened " + e.aggregatorId()))
                .on(
                        Account.Deposited.class,
                        (e, c) -> order.add("deposited " + e.data().amount()))
                .on(
                        Owner.class,
                        (e, c) -> order.add("owner " + e.data().getClass().getSimpleName()))
                .execute();

        assertThat(order).containsExactly("opened " + account, "owner Created", "deposited 5", "owner NameChanged");
    }

    @Test
    void skipped_events_pass_the_safety_check_and_unhandled_ones_stop_the_subscription() {
        String id = evento().create().event(new Account.Opened("ann", 1)).commit();
        evento().aggregator(id).event(new Account.Renamed("bob")).commit();
        Recorder seen = new Recorder();

        evento().subscription("checked-skip")
                .on(Account.Opened.class, seen)
                .skip(Account.Renamed.class)
                .safetyCheck()
                .execute();
        assertThat(seen.ids()).hasSize(1);

        assertThatThrownBy(() -> evento().subscription("checked")
                        .on(Account.Opened.class, (e, c) -> {})
                        .retry(0)
                        .safetyCheck()
                        .execute())
                .isInstanceOf(SubscriptionFailedException.class)
                .hasCauseInstanceOf(UnhandledEventException.class)
                .hasMessageContaining("checked");
    }

    // ---------------------------------------------------------------------------------------------
    // Continuous processing and checkpoints
    // ---------------------------------------------------------------------------------------------

    @Test
    void a_started_subscription_catches_up_then_is_woken_by_new_commits_instead_of_polling() {
        seedDepositsOverFourAccounts(120);
        Recorder seen = new Recorder();
        SubscriptionHandle handle = started(evento().subscription("live")
                .on(Account.class, seen)
                .chunkSize(25)
                .leaseTtl(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMinutes(1)));

        seen.awaitCount(120);
        for (int round = 1; round <= 3; round++) {
            seedDepositsOverFourAccounts(10);
            // With a one-minute poll interval, only the commit's wake-up gets it handled in time.
            seen.awaitCount(120 + 10 * round);
        }

        assertThat(seen.ids()).doesNotHaveDuplicates().containsExactlyElementsOf(globalOrder());
        assertThat(handle.isRunning()).isTrue();
        assertThat(handle.failure()).isEmpty();
    }

    @Test
    void after_a_shutdown_a_new_worker_resumes_from_the_checkpoint_without_redelivery() {
        seedDepositsOverFourAccounts(40);
        Recorder first = new Recorder();
        SubscriptionHandle one = started(evento().subscription("resume")
                .on(Account.class, first)
                .chunkSize(7)
                .workerId("first")
                .pollInterval(FAST_POLL));
        first.awaitCount(40);
        one.shutdown();
        assertThat(one.isRunning()).isFalse();

        seedDepositsOverFourAccounts(15);
        Recorder second = new Recorder();
        started(evento().subscription("resume")
                .on(Account.class, second)
                .workerId("second")
                .pollInterval(FAST_POLL));
        second.awaitCount(15);

        List<String> all = new ArrayList<>(first.ids());
        all.addAll(second.ids());
        assertThat(all).containsExactlyElementsOf(globalOrder());
        assertThat(statusOf("resume").cursor()).contains(lastCursor());
    }

    @Test
    void two_workers_with_the_same_key_never_process_at_the_same_time_and_hand_over_on_shutdown() {
        seedDepositsOverFourAccounts(60);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        Map<String, Set<String>> byWorker = new ConcurrentHashMap<>();
        Set<String> handled = ConcurrentHashMap.newKeySet();
        List<SubscriptionHandle> workers = new ArrayList<>();
        for (String worker : List.of("w-a", "w-b")) {
            workers.add(started(evento().subscription("exclusive")
                    .on(Account.class, (e, c) -> {
                        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                        try {
                            Thread.sleep(1); // widen the window an overlap would need
                            byWorker.computeIfAbsent(worker, w -> ConcurrentHashMap.newKeySet())
                                    .add(e.id());
                            handled.add(e.id());
                        } finally {
                            inFlight.decrementAndGet();
                        }
                    })
                    .chunkSize(5)
                    .workerId(worker)
                    .leaseTtl(Duration.ofSeconds(5))
                    .pollInterval(FAST_POLL)));
        }
        await().atMost(SUBSCRIPTION_PATIENCE).until(() -> handled.size() >= 20);
        String first = byWorker.keySet().iterator().next();
        workers.get(first.equals("w-a") ? 0 : 1).shutdown();
        seedDepositsOverFourAccounts(20);

        await().atMost(SUBSCRIPTION_PATIENCE).until(() -> handled.size() == 80);
        assertThat(maxInFlight.get()).as("handlers running at once").isEqualTo(1);
        assertThat(byWorker)
                .as("the second worker took over after the first shut down")
                .hasSize(2);
        assertThat(handled).containsExactlyInAnyOrderElementsOf(globalOrder());
    }

    @Test
    void a_killed_worker_is_replaced_after_its_lease_lapses_and_its_unacknowledged_chunk_is_redelivered() {
        seedDepositsOverFourAccounts(30);
        List<String> order = globalOrder();
        Killable killable = new Killable(store());
        Evento doomed =
                Evento.builder(killable).register(Account.class, Owner.class).build();
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch unblock = new CountDownLatch(1);
        List<String> doomedSeen = new CopyOnWriteArrayList<>();
        SubscriptionHandle dead = started(doomed.subscription("takeover")
                .on(Account.class, (e, c) -> {
                    if (e.id().equals(order.get(13))) {
                        stuck.countDown();
                        unblock.await(); // the process hangs here and is then killed
                    }
                    doomedSeen.add(e.id());
                })
                .chunkSize(10)
                .workerId("doomed")
                .leaseTtl(Duration.ofSeconds(2))
                .pollInterval(FAST_POLL));
        await().atMost(SUBSCRIPTION_PATIENCE).until(() -> stuck.getCount() == 0);
        assertThat(store().subscriberCursor("takeover"))
                .as("the first chunk was acknowledged")
                .contains(cursorOf(9));

        killable.kill();
        Recorder replacement = new Recorder();
        started(evento().subscription("takeover")
                .on(Account.class, replacement)
                .chunkSize(10)
                .workerId("replacement")
                .leaseTtl(Duration.ofSeconds(2))
                .pollInterval(FAST_POLL));
        replacement.awaitCount(20);
        unblock.countDown();

        assertThat(replacement.ids().stream().distinct().toList())
                .as("everything after the checkpoint, including the chunk the dead worker was in")
                .containsExactlyElementsOf(order.subList(10, 30));
        assertThat(doomedSeen).containsAll(order.subList(0, 13));
        await().atMost(SUBSCRIPTION_PATIENCE)
                .untilAsserted(
                        () -> assertThat(store().subscriberCursor("takeover")).contains(cursorOf(29)));
        dead.shutdown();
        assertThat(store().subscriberCursor("takeover"))
                .as("the dead worker cannot move the checkpoint back")
                .contains(cursorOf(29));
    }

    @Test
    void a_reset_makes_a_running_subscription_start_again_from_the_beginning() {
        seedDepositsOverFourAccounts(10);
        Recorder seen = new Recorder();
        Subscription subscription = evento().subscription("again")
                .on(Account.class, seen)
                .leaseTtl(Duration.ofMillis(1_500))
                .pollInterval(FAST_POLL)
                .build();
        handles.add(subscription.start());
        seen.awaitCount(10);

        int before = seen.ids().size();

        subscription.reset();

        // The running worker notices at its next heartbeat (a third of the lease) and starts over.
        List<String> order = globalOrder();
        await().atMost(SUBSCRIPTION_PATIENCE)
                .untilAsserted(
                        () -> assertThat(seen.ids().subList(before, seen.ids().size()))
                                .containsAll(order));
        seedDepositsOverFourAccounts(1);
        await().atMost(SUBSCRIPTION_PATIENCE)
                .untilAsserted(
                        () -> assertThat(seen.ids()).contains(globalOrder().getLast()));
        assertThat(seen.ids().subList(0, before)).containsExactlyElementsOf(order);
    }

    @Test
    void reset_to_a_cursor_resumes_after_that_event() {
        seedDepositsOverFourAccounts(10);
        Subscription subscription =
                evento().subscription("rewind").on(Account.class, (e, c) -> {}).build();
        subscription.execute();
        Recorder seen = new Recorder();
        Subscription same =
                evento().subscription("rewind").on(Account.class, seen).build();

        same.resetTo(cursorOf(6));
        same.execute();

        assertThat(seen.ids()).containsExactlyElementsOf(globalOrder().subList(7, 10));
        assertThatThrownBy(() -> same.resetTo("not-a-cursor")).isInstanceOf(InvalidCursorException.class);
        assertThat(store().subscriberCursor("rewind"))
                .as("a refused reset changes nothing")
                .contains(lastCursor());
    }
}
