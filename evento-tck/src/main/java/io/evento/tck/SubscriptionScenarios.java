package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.evento.Edge;
import io.evento.Event;
import io.evento.EventFilter;
import io.evento.EventTail;
import io.evento.Evento;
import io.evento.InvalidCursorException;
import io.evento.PageRequest;
import io.evento.StoreException;
import io.evento.Subscription;
import io.evento.SubscriptionFailedException;
import io.evento.SubscriptionHandle;
import io.evento.SubscriptionStatus;
import io.evento.UnhandledEventException;
import io.evento.spi.Executor;
import io.evento.spi.ForwardingExecutor;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.ExecutorTck.HeldWrite;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Subscriptions on the store under test: routing, catch-up then live, checkpoints across restarts,
 * one worker at a time, crash takeover, retries, parking, pause, reset, status and partitions. Run
 * by {@link ExecutorTck} as its {@code Subscriptions} suite.
 */
public abstract class SubscriptionScenarios {
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final Duration FAST_POLL = Duration.ofMillis(50);

    private final List<SubscriptionHandle> handles = new ArrayList<>();

    /** Creates the scenarios. */
    protected SubscriptionScenarios() {}

    /**
     * The store under test, fresh for each scenario.
     *
     * @return the executor
     */
    protected abstract Executor store();

    /**
     * An {@link Evento} over {@link #store()} with the TCK families registered.
     *
     * @return the evento
     */
    protected abstract Evento evento();

    /**
     * An open write on the store under test, as {@link ExecutorTck#holdWrite} gives.
     *
     * @param store the store
     * @param events the events of one new aggregate
     * @return the held write
     */
    protected abstract HeldWrite hold(Executor store, List<StoredEvent> events);

    @AfterEach
    void stopHandles() {
        handles.forEach(SubscriptionHandle::shutdown);
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
        seedDeposits(120);
        Recorder seen = new Recorder();
        SubscriptionHandle handle = started(evento().subscription("live")
                .on(Account.class, seen)
                .chunkSize(25)
                .leaseTtl(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMinutes(1)));

        seen.awaitCount(120);
        for (int round = 1; round <= 3; round++) {
            seedDeposits(10);
            // With a one-minute poll interval, only the commit's wake-up gets it handled in time.
            seen.awaitCount(120 + 10 * round);
        }

        assertThat(seen.ids()).doesNotHaveDuplicates().containsExactlyElementsOf(globalOrder());
        assertThat(handle.isRunning()).isTrue();
        assertThat(handle.failure()).isEmpty();
    }

    @Test
    void after_a_shutdown_a_new_worker_resumes_from_the_checkpoint_without_redelivery() {
        seedDeposits(40);
        Recorder first = new Recorder();
        SubscriptionHandle one = started(evento().subscription("resume")
                .on(Account.class, first)
                .chunkSize(7)
                .workerId("first")
                .pollInterval(FAST_POLL));
        first.awaitCount(40);
        one.shutdown();
        assertThat(one.isRunning()).isFalse();

        seedDeposits(15);
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
        seedDeposits(60);
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
        await().atMost(PATIENCE).until(() -> handled.size() >= 20);
        String first = byWorker.keySet().iterator().next();
        workers.get(first.equals("w-a") ? 0 : 1).shutdown();
        seedDeposits(20);

        await().atMost(PATIENCE).until(() -> handled.size() == 80);
        assertThat(maxInFlight.get()).as("handlers running at once").isEqualTo(1);
        assertThat(byWorker)
                .as("the second worker took over after the first shut down")
                .hasSize(2);
        assertThat(handled).containsExactlyInAnyOrderElementsOf(globalOrder());
    }

    @Test
    void a_killed_worker_is_replaced_after_its_lease_lapses_and_its_unacknowledged_chunk_is_redelivered() {
        seedDeposits(30);
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
        await().atMost(PATIENCE).until(() -> stuck.getCount() == 0);
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
        await().atMost(PATIENCE)
                .untilAsserted(
                        () -> assertThat(store().subscriberCursor("takeover")).contains(cursorOf(29)));
        dead.shutdown();
        assertThat(store().subscriberCursor("takeover"))
                .as("the dead worker cannot move the checkpoint back")
                .contains(cursorOf(29));
    }

    @Test
    void a_reset_makes_a_running_subscription_start_again_from_the_beginning() {
        seedDeposits(10);
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
        await().atMost(PATIENCE)
                .untilAsserted(
                        () -> assertThat(seen.ids().subList(before, seen.ids().size()))
                                .containsAll(order));
        seedDeposits(1);
        await().atMost(PATIENCE)
                .untilAsserted(
                        () -> assertThat(seen.ids()).contains(globalOrder().getLast()));
        assertThat(seen.ids().subList(0, before)).containsExactlyElementsOf(order);
    }

    @Test
    void reset_to_a_cursor_resumes_after_that_event() {
        seedDeposits(10);
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

    // ---------------------------------------------------------------------------------------------
    // Failures
    // ---------------------------------------------------------------------------------------------

    @Test
    void a_failing_event_is_retried_with_backoff_until_it_succeeds() {
        seedDeposits(5);
        String flaky = globalOrder().get(2);
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        Recorder seen = new Recorder();

        evento().subscription("flaky")
                .on(Account.class, (e, c) -> {
                    if (e.id().equals(flaky)) {
                        attempts.add(c.attempt());
                        if (c.attempt() < 3) {
                            throw new IllegalStateException("not yet");
                        }
                    }
                    seen.handle(e, c);
                })
                .retry(3)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(5))
                .execute();

        assertThat(attempts).containsExactly(1, 2, 3);
        assertThat(seen.ids()).containsExactlyElementsOf(globalOrder());
        assertThat(store().parked("flaky", 10)).isEmpty();
    }

    @Test
    void when_retries_are_exhausted_the_subscription_stops_with_the_checkpoint_just_before_the_event() {
        seedDeposits(6);
        List<String> order = globalOrder();
        Recorder seen = new Recorder();
        SubscriptionHandle handle = started(evento().subscription("broken")
                .on(Account.class, (e, c) -> {
                    if (e.id().equals(order.get(3))) {
                        throw new IllegalStateException("poison " + c.attempt());
                    }
                    seen.handle(e, c);
                })
                .retry(2)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(2))
                .pollInterval(FAST_POLL));

        await().atMost(PATIENCE).until(() -> !handle.isRunning());

        assertThat(handle.failure()).get().isInstanceOfSatisfying(SubscriptionFailedException.class, f -> {
            assertThat(f.eventId()).isEqualTo(order.get(3));
            assertThat(f.attempts()).isEqualTo(3);
            assertThat(f.getCause()).hasMessage("poison 3");
        });
        assertThat(seen.ids()).containsExactlyElementsOf(order.subList(0, 3));
        assertThat(store().subscriberCursor("broken")).contains(cursorOf(2));
        assertThat(store().subscriber("broken").orElseThrow().leased(java.time.Instant.now()))
                .as("the stopped worker released its lease")
                .isFalse();
        assertThatThrownBy(() -> evento().subscription("broken")
                        .on(Account.class, (e, c) -> {
                            throw new IllegalStateException("still poison");
                        })
                        .retry(0)
                        .execute())
                .isInstanceOf(SubscriptionFailedException.class)
                .hasMessageContaining(order.get(3));
    }

    @Test
    void a_catch_up_over_many_pages_sees_every_event_once_in_order_while_writers_append() throws Exception {
        // Small chunks make the worker read each next page while it handles the current one.
        seedDeposits(60);
        Recorder seen = new Recorder();
        CountDownLatch started = new CountDownLatch(1);
        SubscriptionHandle handle = started(evento().subscription("many-pages")
                .on(Account.class, (e, c) -> {
                    started.countDown();
                    seen.handle(e, c);
                })
                .chunkSize(5)
                .pollInterval(FAST_POLL));
        assertThat(started.await(PATIENCE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
                .isTrue();
        Thread writer = Thread.ofPlatform().start(() -> seedDeposits(40));
        writer.join(PATIENCE.toMillis());

        seen.awaitCount(100);
        assertThat(handle.isRunning()).isTrue();
        assertThat(seen.ids()).containsExactlyElementsOf(globalOrder());
        await().atMost(PATIENCE)
                .untilAsserted(
                        () -> assertThat(store().subscriberCursor("many-pages")).contains(lastCursor()));
    }

    @Test
    void a_failing_read_ahead_is_read_again_and_nothing_is_skipped() {
        seedDeposits(30);
        java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
        // Every read made ahead of the worker fails, as when no pooled connection is free.
        Executor flaky = new ForwardingExecutor(store()) {
            @Override
            public io.evento.Page<StoredEvent> read(ReadQuery query) {
                if (Thread.currentThread().getName().startsWith("evento-read-ahead-")) {
                    failed.incrementAndGet();
                    throw new io.evento.StoreException("no connection for reading ahead", null, true);
                }
                return super.read(query);
            }
        };
        Evento onFlaky =
                Evento.builder(flaky).register(Account.class, Owner.class).build();
        Recorder seen = new Recorder();

        onFlaky.subscription("flaky-ahead").on(Account.class, seen).chunkSize(4).execute();

        assertThat(failed.get()).as("reads ahead were attempted").isPositive();
        assertThat(seen.ids()).containsExactlyElementsOf(globalOrder());
    }

    @Test
    void a_failure_deep_in_a_multi_page_catch_up_keeps_the_checkpoint_just_before_it() {
        seedDeposits(30);
        List<String> order = globalOrder();
        Recorder seen = new Recorder();

        assertThatThrownBy(() -> evento().subscription("deep-failure")
                        .on(Account.class, (e, c) -> {
                            if (e.id().equals(order.get(17))) {
                                throw new IllegalStateException("poison");
                            }
                            seen.handle(e, c);
                        })
                        .chunkSize(4)
                        .retry(0)
                        .execute())
                .isInstanceOf(SubscriptionFailedException.class)
                .hasMessageContaining(order.get(17));
        assertThat(seen.ids()).containsExactlyElementsOf(order.subList(0, 17));
        assertThat(store().subscriberCursor("deep-failure")).contains(cursorOf(16));

        Recorder rest = new Recorder();
        evento().subscription("deep-failure")
                .on(Account.class, rest)
                .chunkSize(4)
                .execute();
        assertThat(rest.ids()).containsExactlyElementsOf(order.subList(17, 30));
    }

    @Test
    void with_accept_failure_the_event_is_parked_processing_goes_on_and_it_can_be_retried_later() {
        seedDeposits(6);
        List<String> order = globalOrder();
        AtomicBoolean fixed = new AtomicBoolean();
        Recorder seen = new Recorder();
        Subscription subscription = evento().subscription("tolerant")
                .on(Account.class, (e, c) -> {
                    if (e.id().equals(order.get(1)) && !fixed.get()) {
                        throw new IllegalArgumentException("bad \"data\" in " + e.id());
                    }
                    seen.handle(e, c);
                })
                .retry(1)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(2))
                .acceptFailure()
                .pollInterval(FAST_POLL)
                .build();
        handles.add(subscription.start());

        seen.awaitCount(5);
        await().atMost(PATIENCE)
                .untilAsserted(
                        () -> assertThat(store().subscriberCursor("tolerant")).contains(cursorOf(5)));
        List<ParkedEvent> parked = subscription.parked();
        assertThat(parked).singleElement().satisfies(p -> {
            assertThat(p.eventId()).isEqualTo(order.get(1));
            assertThat(p.attempts()).isEqualTo(2);
            assertThat(p.error()).contains("bad \"data\" in " + order.get(1));
        });
        assertThat(subscription.status().getFirst().parked()).isEqualTo(1);

        assertThat(subscription.retryParked()).as("still failing").isZero();
        assertThat(subscription.parked())
                .singleElement()
                .extracting(ParkedEvent::attempts)
                .isEqualTo(3);
        fixed.set(true);
        assertThat(subscription.retryParked()).isEqualTo(1);

        assertThat(subscription.parked()).isEmpty();
        assertThat(seen.ids()).containsExactlyInAnyOrderElementsOf(order);
    }

    @Test
    void a_parked_event_can_be_discarded() {
        seedDeposits(2);
        Subscription subscription = evento().subscription("discard")
                .on(Account.class, (e, c) -> {
                    throw new IllegalStateException("never");
                })
                .retry(0)
                .acceptFailure()
                .build();
        subscription.execute();
        assertThat(subscription.parked()).hasSize(2);

        assertThat(subscription.discardParked(globalOrder().get(0))).isTrue();
        assertThat(subscription.discardParked(globalOrder().get(0))).isFalse();
        assertThat(subscription.parked())
                .extracting(ParkedEvent::eventId)
                .containsExactly(globalOrder().get(1));
    }

    // ---------------------------------------------------------------------------------------------
    // Operations
    // ---------------------------------------------------------------------------------------------

    @Test
    void a_paused_subscription_releases_its_lease_processes_nothing_and_catches_up_when_resumed() {
        seedDeposits(3);
        Recorder seen = new Recorder();
        Subscription subscription = evento().subscription("pausable")
                .on(Account.class, seen)
                .leaseTtl(Duration.ofMillis(1_500))
                .pollInterval(FAST_POLL)
                .build();
        handles.add(subscription.start());
        seen.awaitCount(3);

        subscription.pause();
        await().atMost(PATIENCE)
                .until(() -> subscription.status().getFirst().workerId().isEmpty());
        seedDeposits(4);
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
        seedDeposits(5);
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
        await().atMost(PATIENCE).untilAsserted(() -> {
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

        await().atMost(PATIENCE).until(() -> ids.size() == 96);
        await().atMost(PATIENCE)
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
        seedDeposits(40);
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

        await().atMost(PATIENCE).until(() -> handled.size() == 40);
        assertThatThrownBy(twice::execute)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("leased by another worker");
        assertThat(maxInFlight.get()).isEqualTo(1);
    }

    @Test
    void a_handler_that_restores_an_interrupt_does_not_cut_the_retry_backoff_short() {
        seedDeposits(3);
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
        seedDeposits(4);
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
        await().atMost(PATIENCE).until(() -> failedOnce.getCount() == 0);

        handle.shutdown();

        assertThat(handle.isRunning()).isFalse();
        assertThat(handle.failure()).isEmpty();
        assertThat(store().subscriberCursor("patient")).contains(cursorOf(1));
        assertThat(store().subscriber("patient").orElseThrow().leased(java.time.Instant.now()))
                .isFalse();
    }

    @Test
    void execute_on_a_paused_subscription_says_it_is_paused() {
        seedDeposits(1);
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

    // ---------------------------------------------------------------------------------------------
    // The global-order race, with a live subscriber
    // ---------------------------------------------------------------------------------------------

    @Test
    void a_live_subscriber_sees_every_committed_event_once_while_transactions_commit_late_or_roll_back()
            throws Exception {
        int writers = 6;
        int commitsEach = 20;
        int heldWrites = 4;
        List<HeldWrite> held = new ArrayList<>();
        List<List<String>> heldIds = new ArrayList<>();
        for (int h = 0; h < heldWrites; h++) {
            String id = "held-" + h;
            List<StoredEvent> events = List.of(
                    raw(id, 1, "Opened", "{\"owner\":\"held\",\"balance\":0}"),
                    raw(id, 2, "Deposited", "{\"amount\":" + h + "}"));
            heldIds.add(events.stream().map(StoredEvent::id).toList());
            held.add(hold(store(), events));
        }
        Recorder seen = new Recorder();
        started(evento().subscription("racing")
                .on(Account.class, seen)
                .chunkSize(7)
                .pollInterval(FAST_POLL));
        Set<String> rolledBack = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (int w = 0; w < writers; w++) {
            int index = w;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    String id = evento().create()
                            .event(new Account.Opened("race-" + index, 0))
                            .commit();
                    for (int i = 1; i < commitsEach; i++) {
                        evento().aggregator(id).event(new Account.Deposited(i)).commit();
                        if (i == commitsEach / 2 && index < heldWrites) {
                            if (index % 2 == 1) {
                                held.get(index).rollback();
                                rolledBack.addAll(heldIds.get(index));
                            } else {
                                held.get(index).commit();
                            }
                        }
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread t : threads) {
            assertThat(t.join(PATIENCE)).isTrue();
        }
        assertThat(failures).isEmpty();
        int expected = writers * commitsEach + 2 * (heldWrites / 2);

        seen.awaitCount(expected);

        assertThat(seen.ids()).doesNotHaveDuplicates().doesNotContainAnyElementsOf(rolledBack);
        assertThat(seen.ids()).containsExactlyElementsOf(globalOrder());
        assertThat(seen.ids()).hasSize(expected);
    }

    // ---------------------------------------------------------------------------------------------
    // Streams and tails
    // ---------------------------------------------------------------------------------------------

    @Test
    void a_stream_pages_lazily_through_the_whole_log_from_any_cursor() {
        seedDeposits(23);
        evento().create().event(new Owner.Created("not an account")).commit();
        List<String> order = globalOrder();

        List<String> all = evento().stream(ReadQuery.of(PageRequest.forward(7), EventFilter.type(Account.class)))
                .map(Event::id)
                .toList();
        List<String> fromCursor = evento().stream(
                        ReadQuery.of(PageRequest.forward(4, cursorOf(14)), EventFilter.type(Account.class)))
                .map(Event::id)
                .toList();
        List<String> firstThree = evento().stream(ReadQuery.all(PageRequest.forward(2)))
                .limit(3)
                .map(Event::id)
                .toList();

        assertThat(all).containsExactlyElementsOf(order);
        assertThat(fromCursor).containsExactlyElementsOf(order.subList(15, 23));
        assertThat(firstThree).containsExactlyElementsOf(order.subList(0, 3));
        assertThatThrownBy(() -> evento().stream(ReadQuery.all(PageRequest.backward(5))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_tail_returns_the_existing_events_then_new_commits_and_can_resume_from_its_cursor() throws Exception {
        seedDeposits(3);
        List<String> seen = new ArrayList<>();
        String resumeAt;
        try (EventTail tail = evento().tail(ReadQuery.of(PageRequest.forward(2), EventFilter.type(Account.class)))) {
            for (int i = 0; i < 3; i++) {
                seen.add(tail.next().id());
            }
            assertThat(tail.poll(Duration.ofMillis(20))).as("nothing new yet").isEmpty();
            Thread writer = Thread.ofVirtual().start(() -> seedDeposits(2));
            seen.add(tail.next().id());
            seen.add(tail.next().id());
            writer.join();
            resumeAt = tail.cursor().orElseThrow();
        }
        assertThat(seen).containsExactlyElementsOf(globalOrder());

        seedDeposits(1);
        try (EventTail resumed = evento().tail(ReadQuery.all(PageRequest.forward(10, resumeAt)))) {
            assertThat(resumed.poll(PATIENCE).orElseThrow().id())
                    .isEqualTo(globalOrder().getLast());
        }
    }

    @Test
    void closing_a_tail_from_another_thread_ends_a_blocked_next() throws Exception {
        EventTail tail = evento().tail(ReadQuery.all(PageRequest.forward(10)));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        CountDownLatch waiting = new CountDownLatch(1);
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                waiting.countDown();
                tail.next();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        waiting.await();

        tail.close();

        assertThat(reader.join(PATIENCE)).isTrue();
        assertThat(thrown.get()).isInstanceOf(NoSuchElementException.class);
        assertThat(tail.hasNext()).isFalse();
    }

    @Test
    void the_connection_of_a_context_is_only_for_transactional_subscriptions() {
        seedDeposits(1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();

        evento().subscription("plain")
                .on(Account.class, (e, c) -> {
                    try {
                        c.connection();
                    } catch (IllegalStateException expected) {
                        thrown.set(expected);
                    }
                    assertThat(c.key()).isEqualTo("plain");
                    assertThat(c.attempt()).isEqualTo(1);
                    assertThat(c.executor()).isSameAs(store());
                    assertThat(c.evento()).isSameAs(evento());
                })
                .execute();

        assertThat(thrown.get()).hasMessageContaining("transactional()");
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------

    /** Records the ids of handled events, in order. */
    static final class Recorder implements Subscription.Handler<Account> {
        private final List<String> ids = new CopyOnWriteArrayList<>();

        @Override
        public void handle(Event<Account> event, Subscription.Context context) {
            ids.add(event.id());
        }

        List<String> ids() {
            return List.copyOf(ids);
        }

        void awaitCount(int n) {
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(ids).hasSizeGreaterThanOrEqualTo(n));
        }
    }

    private SubscriptionHandle started(Subscription.Builder builder) {
        SubscriptionHandle handle = builder.start();
        handles.add(handle);
        return handle;
    }

    private SubscriptionStatus statusOf(String key) {
        return evento().subscription(key)
                .on(Account.class, (e, c) -> {})
                .build()
                .status()
                .getFirst();
    }

    /** Accounts without routing key, with "eu" and with "us"; ids by routing key ("" for none). */
    private Map<String, List<String>> seedRouted() {
        Map<String, List<String>> ids = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            for (String key : List.of("", "eu", "us")) {
                var commit = evento().create().event(new Account.Opened("o" + i + key, i));
                if (!key.isEmpty()) {
                    commit.routingKey(key);
                }
                String id = commit.commit();
                evento().aggregator(id).event(new Account.Deposited(i)).commit();
            }
        }
        for (StoredEvent e : storedEvents()) {
            ids.computeIfAbsent(e.routingKey().orElse(""), k -> new ArrayList<>())
                    .add(e.id());
        }
        return ids;
    }

    private void seedDeposits(int n) {
        for (int i = 0; i < n; i++) {
            evento().aggregator("acc-" + (i % 4))
                    .event(new Account.Deposited(i))
                    .commit();
        }
    }

    private List<StoredEvent> storedEvents() {
        return evento().stream(ReadQuery.of(PageRequest.forward(500), EventFilter.type(Account.class)))
                .map(e -> store().readAggregate(e.aggregatorType(), e.aggregatorId(), e.version() - 1, 1)
                        .getFirst())
                .toList();
    }

    private List<String> globalOrder() {
        return storedEvents().stream()
                .filter(e -> e.aggregatorType().equals("tck/Account"))
                .map(StoredEvent::id)
                .toList();
    }

    private List<Edge<StoredEvent>> edges() {
        List<Edge<StoredEvent>> all = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        while (true) {
            var page = store().read(new ReadQuery(
                    List.of(EventFilter.type(Account.class)),
                    io.evento.RoutingFilter.ALL,
                    new PageRequest(PageRequest.Direction.FORWARD, 1_000, cursor)));
            all.addAll(page.edges());
            if (!page.pageInfo().hasNextPage()) {
                return all;
            }
            cursor = page.pageInfo().endCursor();
        }
    }

    private String cursorOf(int index) {
        return edges().get(index).cursor();
    }

    private String lastCursor() {
        return edges().getLast().cursor();
    }

    private static StoredEvent raw(String id, int version, String name, String json) {
        return ExecutorTck.stored(
                "tck/Account", id, version, name, Optional.empty(), json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * An executor whose process "dies": after {@link #kill()} every call fails as a broken
     * connection would, and nothing the dead worker does reaches the store.
     */
    static class Killable extends ForwardingExecutor {
        private volatile boolean killed;

        Killable(Executor store) {
            super(store);
        }

        void kill() {
            killed = true;
        }

        @Override
        protected Executor delegate() {
            if (killed) {
                throw new StoreException("connection reset (the process was killed)", null, true);
            }
            return super.delegate();
        }

        @Override
        public Registration onCommit(Runnable listener) {
            // Registered on the real store even after the kill: a dead process hears nothing, but
            // its registration is not what this scenario is about.
            return super.delegate().onCommit(listener);
        }

        @Override
        public void close() {
            // The real store belongs to the suite.
        }
    }
}
