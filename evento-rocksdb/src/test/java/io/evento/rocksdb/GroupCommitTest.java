package io.evento.rocksdb;

import static io.evento.tck.fixtures.TestEvents.all;
import static io.evento.tck.fixtures.TestEvents.events;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.evento.ConcurrencyException;
import io.evento.Durability;
import io.evento.LeaseLostException;
import io.evento.spi.Executor;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.StoredEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The writer commits queued writes in groups. To control what lands in one group, a test holds the
 * writer at a {@link WriterGate} inside a lease operation, queues writes one by one (so their
 * queue order is known), and then lets the writer go: it takes everything queued as one group.
 * Groups form with {@code SURVIVES_POWER_LOSS} durability, where they share an fsync: virtual threads then queue
 * for the writer thread. Without it, callers commit in turn, each its own command (the last tests).
 */
class GroupCommitTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final Duration TTL = Duration.ofMinutes(5);

    @TempDir
    Path dir;

    @Test
    void with_sync_many_concurrent_writers_share_write_batches_and_every_commit_lands_once() throws Exception {
        int writers = 16;
        int commitsEach = 40;
        // Platform threads: a caller that finds the writer idle commits on its own thread, and a
        // virtual thread keeps its carrier until it parks, so two carriers could take turns
        // committing alone. Sixteen platform threads on fewer cores overlap, as applications do.
        try (RocksDbExecutor executor = RocksDbExecutor.builder(dir.resolve("store"))
                        .durability(Durability.SURVIVES_POWER_LOSS)
                        .open();
                ExecutorService threads =
                        Executors.newThreadPerTaskExecutor(Thread.ofPlatform().factory())) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String id = "writer-" + w;
                futures.add(threads.submit(() -> {
                    start.await();
                    for (int v = 1; v <= commitsEach; v++) {
                        executor.write(events("t", id, v, v));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            }

            assertThat(executor.appends()).isEqualTo(writers * commitsEach);
            assertThat(executor.writeBatches())
                    .as("write batches for %d commits", writers * commitsEach)
                    .isLessThan(executor.appends());
            List<StoredEvent> log = all(executor);
            assertThat(log).hasSize(writers * commitsEach);
            for (int w = 0; w < writers; w++) {
                assertThat(executor.readAggregate("t", "writer-" + w, 0, 1_000))
                        .extracting(StoredEvent::version)
                        .containsExactlyElementsOf(
                                IntStream.rangeClosed(1, commitsEach).boxed().toList());
            }
        }
    }

    @Test
    void a_listener_that_throws_an_error_on_a_committing_caller_strands_no_other_caller() throws Exception {
        int writers = 16;
        int commitsEach = 200;
        // SURVIVES_POWER_LOSS: there, a committing caller's group holds other callers' commands (without it,
        // callers commit in turn, each its own).
        try (RocksDbExecutor executor = RocksDbExecutor.builder(dir.resolve("store"))
                .durability(Durability.SURVIVES_POWER_LOSS)
                .open()) {
            // An Error each time a caller that committed a group (not the writer thread) calls the
            // listener: that caller's write throws it, and everyone else in its group must still
            // be woken.
            executor.onCommit(() -> {
                if (!Thread.currentThread().getName().startsWith("evento-rocksdb-writer-")) {
                    throw new AssertionError("a broken listener");
                }
            });
            AtomicInteger errors = new AtomicInteger();
            AtomicInteger committed = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String id = "writer-" + w;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int v = 1; v <= commitsEach; v++) {
                        try {
                            executor.write(events("t", id, v, v));
                        } catch (AssertionError e) {
                            errors.incrementAndGet();
                        }
                        committed.incrementAndGet();
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join(PATIENCE.toMillis());
            }

            assertThat(threads).noneMatch(Thread::isAlive);
            assertThat(errors).hasPositiveValue();
            assertThat(committed).hasValue(writers * commitsEach);
            assertThat(executor.appends()).isEqualTo(writers * commitsEach);
        }
    }

    @Test
    void writes_queued_while_the_writer_is_busy_are_committed_in_one_write_batch() throws Exception {
        WriterGate gate = new WriterGate();
        try (RocksDbExecutor executor = RocksDbExecutor.builder(dir.resolve("store"))
                        .clock(gate)
                        .durability(Durability.SURVIVES_POWER_LOSS)
                        .open();
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> held = holdWriter(executor, gate, threads);
            long before = executor.writeBatches();

            List<Future<Object>> writes = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                writes.add(queue(executor, threads, i + 1, write(executor, events("t", "a" + i, 1, 3))));
            }
            gate.open();
            held.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            for (Future<Object> w : writes) {
                assertThat(w.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo("ok");
            }

            assertThat(executor.writeBatches() - before)
                    .as("batches: the held lease operation's, then one for all 12 writes")
                    .isEqualTo(2);
            assertThat(all(executor)).hasSize(36);
        }
    }

    /**
     * The loser whose turn it is goes first, ahead of what was held back for it, and ends the turn:
     * what stays held back must then go at once, not wait for a turn that no longer exists (it
     * waited for the next command before, which in this test never comes). A turn lasts 2 ms, so
     * the scenario is played until it happened five times: a held-back append, then the loser.
     */
    @Test
    void appends_held_back_for_a_turn_that_its_loser_ended_are_committed_without_a_later_write() throws Exception {
        // Groups of one command: the loser's append fills the group, and what was held back stays.
        try (RocksDbExecutor executor =
                RocksDbExecutor.builder(dir.resolve("store")).maxBatch(1).open()) {
            executor.write(events("t", "other", 1, 1));
            int played = 0;
            for (int attempt = 0; attempt < 200 && played < 5; attempt++) {
                String hot = "hot-" + attempt;
                executor.write(events("t", hot, 1, 1));
                CountDownLatch go = new CountDownLatch(1);
                AtomicReference<Throwable> loserFailure = new AtomicReference<>();
                // The loser: it lost a race before (on another aggregate), so its append outranks the
                // held-back one.
                Thread loser = Thread.ofPlatform().start(() -> {
                    try {
                        assertThatThrownBy(() -> executor.write(events("t", "other", 1, 1)))
                                .isInstanceOf(ConcurrencyException.class);
                        go.await();
                        // It wins when the scenario played; if the turn ran out first, either may.
                        executor.write(events("t", hot, 2, 2));
                    } catch (ConcurrencyException e) {
                        // The held-back append came first.
                    } catch (Throwable t) {
                        loserFailure.set(t);
                    }
                });
                // A conflict makes the aggregate a loser's turn (priority 1) for 2 ms...
                assertThatThrownBy(() -> executor.write(events("t", hot, 1, 1)))
                        .isInstanceOf(ConcurrencyException.class);
                // ...and an append of a thread that never lost is held back for it.
                AtomicReference<Object> heldOutcome = new AtomicReference<>();
                Thread held = Thread.ofPlatform().start(() -> {
                    try {
                        executor.write(events("t", hot, 2, 2));
                        heldOutcome.set("ok");
                    } catch (ConcurrencyException e) {
                        heldOutcome.set("conflict");
                    }
                });
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2);
                while (System.nanoTime() < until && held.isAlive() && !parkedHeldBack(executor, held)) {
                    Thread.onSpinWait();
                }
                if (parkedHeldBack(executor, held)) {
                    played++;
                }
                go.countDown();
                loser.join(PATIENCE.toMillis());
                held.join(PATIENCE.toMillis());

                assertThat(loserFailure.get()).isNull();
                assertThat(held.isAlive())
                        .as("the held-back append of attempt %d still waits", attempt)
                        .isFalse();
                assertThat(heldOutcome.get()).isIn("ok", "conflict");
                assertThat(executor.readAggregate("t", hot, 0, 10)).hasSize(2);
            }
            assertThat(played)
                    .as("times an append was held back when its loser came")
                    .isEqualTo(5);
        }
    }

    /** Whether {@code caller} is parked for its write's outcome with nothing queued: held back. */
    private static boolean parkedHeldBack(RocksDbExecutor executor, Thread caller) {
        return LockSupport.getBlocker(caller) instanceof Command<?> && executor.queuedWrites() == 0;
    }

    @Test
    void a_conflicting_append_fails_alone_and_its_neighbours_in_the_group_commit() throws Exception {
        WriterGate gate = new WriterGate();
        try (RocksDbExecutor executor = RocksDbExecutor.builder(dir.resolve("store"))
                        .clock(gate)
                        .durability(Durability.SURVIVES_POWER_LOSS)
                        .open();
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> held = holdWriter(executor, gate, threads);
            long before = executor.writeBatches();

            List<StoredEvent> x1 = events("t", "x", 1, 1, Optional.of("eu"));
            List<StoredEvent> y1 = events("t", "y", 1, 1, Optional.of("eu"));
            List<StoredEvent> x2 = events("t", "x", 2, 3, Optional.of("us"));
            List<Callable<Object>> queued = List.of(
                    write(executor, x1), // creates x
                    write(executor, events("t", "x", 1, 1)), // creates x again: conflict
                    write(executor, x2), // appends to the x created in this group
                    write(executor, events("t", "z", 4, 4)), // z is at 0, not 3: conflict
                    write(executor, y1), // creates y
                    write(executor, events("t", "x", 2, 2)), // x is at 3 by now: conflict
                    acquire(executor, "sub", "w1"), // takes the lease
                    acquire(executor, "sub", "w2")); // sees w1's lease from this group: refused
            List<Future<Object>> outcomes = new ArrayList<>();
            for (int i = 0; i < queued.size(); i++) {
                outcomes.add(queue(executor, threads, i + 1, queued.get(i)));
            }
            gate.open();
            held.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            List<Object> results = new ArrayList<>();
            for (Future<Object> outcome : outcomes) {
                results.add(outcome.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            }

            assertThat(results)
                    .containsExactly(
                            "ok",
                            "conflict t/x at 0",
                            "ok",
                            "conflict t/z at 3",
                            "ok",
                            "conflict t/x at 1",
                            Optional.of(new Lease("sub", "w1", 1, gate.instant().plus(TTL))),
                            Optional.empty());
            assertThat(executor.writeBatches() - before).isEqualTo(2);
            List<StoredEvent> log = all(executor);
            assertThat(log)
                    .extracting(StoredEvent::id)
                    .containsExactly(
                            x1.getFirst().id(),
                            x2.get(0).id(),
                            x2.get(1).id(),
                            y1.getFirst().id());
            assertThat(log).allSatisfy(e -> assertThat(e.routingKey()).contains("eu"));
            assertThat(executor.lastEvent("t", "z")).isEmpty();
        }
    }

    @Test
    void parks_unparks_and_a_reset_in_one_group_see_each_other_in_queue_order() throws Exception {
        WriterGate gate = new WriterGate();
        Instant now = gate.instant();
        AtomicInteger commits = new AtomicInteger();
        try (RocksDbExecutor executor = RocksDbExecutor.builder(dir.resolve("store"))
                        .clock(gate)
                        .durability(Durability.SURVIVES_POWER_LOSS)
                        .open();
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
                Executor.Registration registration = executor.onCommit(commits::incrementAndGet)) {
            Future<?> held = holdWriter(executor, gate, threads);
            long before = executor.writeBatches();

            Lease lease = new Lease("sub", "w1", 1, now.plus(TTL));
            List<Callable<Object>> queued = List.of(
                    acquire(executor, "sub", "w1"), // takes the lease parked below
                    park(executor, lease, "e1", "first", 1),
                    park(executor, lease, "e2", "second", 1),
                    park(executor, lease, "e1", "first again", 2), // replaces e1 in its place
                    () -> executor.unpark("sub", "e2"), // removes e2, parked in this group
                    park(executor, lease, "e3", "third", 1),
                    write(executor, events("t", "a", 1, 1)),
                    () -> {
                        executor.resetSubscriber("sub", Optional.empty());
                        return "reset";
                    },
                    park(executor, lease, "e4", "too late", 1), // the reset revoked the lease
                    () -> executor.unpark("sub", "e4"));
            List<Future<Object>> outcomes = new ArrayList<>();
            for (int i = 0; i < queued.size(); i++) {
                outcomes.add(queue(executor, threads, i + 1, queued.get(i)));
            }
            gate.open();
            held.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            List<Object> results = new ArrayList<>();
            for (Future<Object> outcome : outcomes) {
                results.add(outcome.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            }

            assertThat(results)
                    .containsExactly(
                            Optional.of(lease), "ok", "ok", "ok", true, "ok", "ok", "reset", "lease lost", false);
            assertThat(executor.writeBatches() - before)
                    .as("batches: the held lease operation's, then one for the whole group")
                    .isEqualTo(2);
            assertThat(executor.parked("sub", 10))
                    .extracting(ParkedEvent::eventId, ParkedEvent::error, ParkedEvent::attempts)
                    .containsExactly(tuple("e1", "first again", 2), tuple("e3", "third", 1));
            assertThat(executor.subscriber("sub").orElseThrow().workerId()).isEmpty();
            // The writer calls the listeners before it takes its next group: this one returning
            // means the call for the group above, which appended, has happened.
            executor.acquireLease("after", "w1", TTL);
            assertThat(commits).as("one call for the group").hasValue(1);
        }
    }

    @Test
    void a_group_holds_at_most_max_batch_events_but_an_append_larger_than_that_is_written_whole() throws Exception {
        WriterGate gate = new WriterGate();
        try (RocksDbExecutor executor = RocksDbExecutor.builder(dir.resolve("store"))
                        .clock(gate)
                        .maxBatch(10)
                        .durability(Durability.SURVIVES_POWER_LOSS)
                        .open();
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> held = holdWriter(executor, gate, threads);
            long before = executor.writeBatches();

            List<Future<Object>> writes = new ArrayList<>();
            int[] sizes = {4, 4, 4, 4, 25, 1};
            for (int i = 0; i < sizes.length; i++) {
                writes.add(queue(executor, threads, i + 1, write(executor, events("t", "a" + i, 1, sizes[i]))));
            }
            gate.open();
            held.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            for (Future<Object> w : writes) {
                assertThat(w.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo("ok");
            }

            // The held lease, then groups of 4+4, 4+4, 25 (alone, whole) and 1.
            assertThat(executor.writeBatches() - before).isEqualTo(5);
            assertThat(all(executor)).hasSize(42);
            assertThat(executor.readAggregate("t", "a4", 0, 100)).hasSize(25);
        }
    }

    /**
     * Also with groups of one command: the commands held back for a turn must not fill every group
     * and leave the loser they wait for in the queue (losing streaks of 37–126 in a row before).
     */
    @ParameterizedTest(name = "maxBatch {0}")
    @ValueSource(ints = {RocksDbExecutor.Builder.DEFAULT_MAX_BATCH, 1})
    void callers_racing_on_one_aggregate_take_turns_so_none_loses_many_races_in_a_row(int maxBatch) throws Exception {
        int racers = 8;
        int appendsEach = 25;
        // The executor is closed first: closing commits whatever is still held back, so a stranded
        // racer fails the test instead of keeping it waiting for its threads.
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
                RocksDbExecutor executor = RocksDbExecutor.builder(dir.resolve("store"))
                        .maxBatch(maxBatch)
                        .open()) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> streaks = new ArrayList<>();
            for (int r = 0; r < racers; r++) {
                streaks.add(threads.submit(() -> {
                    start.await();
                    int longest = 0;
                    for (int i = 0; i < appendsEach; i++) {
                        // Append after whatever the current version is, retrying on conflict.
                        for (int lost = 0; ; lost++) {
                            int current = executor.lastEvent("t", "hot")
                                    .map(StoredEvent::version)
                                    .orElse(0);
                            try {
                                executor.write(events("t", "hot", current + 1, current + 1));
                                longest = Math.max(longest, lost);
                                break;
                            } catch (ConcurrencyException e) {
                                assertThat(e.expectedVersion()).isEqualTo(current);
                            }
                        }
                    }
                    return longest;
                }));
            }
            start.countDown();
            int longest = 0;
            for (Future<Integer> streak : streaks) {
                longest = Math.max(longest, streak.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            }

            assertThat(executor.readAggregate("t", "hot", 0, 1_000))
                    .extracting(StoredEvent::version)
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, racers * appendsEach)
                            .boxed()
                            .toList());
            // Without turns, one caller tends to win every race of a group commit, and the others
            // lose dozens of times in a row; Evento's commit builder gives up after 16.
            assertThat(longest).as("the longest losing streak").isLessThan(16);
        }
    }

    @Test
    void without_sync_each_caller_commits_its_own_write_on_its_own_thread() throws Exception {
        int writers = 8;
        int commitsEach = 100;
        try (RocksDbExecutor executor = RocksDbExecutor.open(dir.resolve("store"))) {
            List<Thread> callers = new ArrayList<>();
            AtomicInteger onCallers = new AtomicInteger();
            AtomicInteger elsewhere = new AtomicInteger();
            executor.onCommit(
                    () -> (callers.contains(Thread.currentThread()) ? onCallers : elsewhere).incrementAndGet());
            await().atMost(PATIENCE).until(executor::writerIdle);
            long before = executor.writeBatches();
            CountDownLatch start = new CountDownLatch(1);
            for (int w = 0; w < writers; w++) {
                String id = "writer-" + w;
                callers.add(Thread.ofPlatform().unstarted(() -> {
                    try {
                        start.await();
                        for (int v = 1; v <= commitsEach; v++) {
                            executor.write(events("t", id, v, v));
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            callers.forEach(Thread::start);
            start.countDown();
            for (Thread caller : callers) {
                caller.join(PATIENCE.toMillis());
            }

            assertThat(callers).noneMatch(Thread::isAlive);
            assertThat(executor.appends()).isEqualTo(writers * commitsEach);
            // Grouped, the writers' commits took 1.6 to a batch on average (and woke a caller
            // for each command another thread committed).
            assertThat(executor.writeBatches() - before)
                    .as("write batches for %d commits", writers * commitsEach)
                    .isEqualTo(writers * commitsEach);
            assertThat(onCallers).hasValue(writers * commitsEach);
            assertThat(elsewhere).hasValue(0);
            assertThat(all(executor)).hasSize(writers * commitsEach);
        }
    }

    @Test
    void a_caller_fires_the_listeners_holding_no_lock_so_other_writes_go_on() throws Exception {
        try (RocksDbExecutor executor = RocksDbExecutor.open(dir.resolve("store"))) {
            AtomicBoolean first = new AtomicBoolean(true);
            AtomicBoolean otherFinished = new AtomicBoolean();
            executor.onCommit(() -> {
                if (first.getAndSet(false)) {
                    // The onCommit contract still forbids blocking (the writer thread calls
                    // listeners too); this one blocks on a caller's thread to show that the caller
                    // holds nothing by then: else this write would wait for the listener that
                    // waits for it.
                    Thread other = Thread.ofPlatform().start(() -> executor.write(events("t", "other", 1, 1)));
                    try {
                        other.join(Duration.ofSeconds(5));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    otherFinished.set(!other.isAlive());
                }
            });
            await().atMost(PATIENCE).until(executor::writerIdle);

            executor.write(events("t", "first", 1, 1));

            assertThat(otherFinished)
                    .as("the other thread's write, awaited by the listener")
                    .isTrue();
            assertThat(executor.readAggregate("t", "other", 0, 10)).hasSize(1);
        }
    }

    /** Starts a lease operation that parks the writer at the gate, and waits until it is parked. */
    private static Future<?> holdWriter(RocksDbExecutor executor, WriterGate gate, ExecutorService threads)
            throws InterruptedException {
        gate.close();
        Future<?> held = threads.submit(() -> executor.acquireLease("gate", "holder", TTL));
        gate.awaitHeld();
        return held;
    }

    /** Submits a call and waits until it is queued as the {@code position}-th waiting write. */
    private static Future<Object> queue(
            RocksDbExecutor executor, ExecutorService threads, int position, Callable<Object> call) {
        Future<Object> future = threads.submit(call);
        await().atMost(PATIENCE).until(() -> executor.queuedWrites() == position);
        return future;
    }

    private static Callable<Object> write(RocksDbExecutor executor, List<StoredEvent> events) {
        return () -> {
            try {
                executor.write(events);
                return "ok";
            } catch (ConcurrencyException e) {
                return "conflict " + e.aggregatorType() + "/" + e.aggregatorId() + " at " + e.expectedVersion();
            }
        };
    }

    private static Callable<Object> park(
            RocksDbExecutor executor, Lease lease, String eventId, String error, int attempts) {
        return () -> {
            try {
                executor.park(
                        lease, new ParkedEvent(lease.key(), eventId, "t", "a", 1, error, attempts, Instant.EPOCH));
                return "ok";
            } catch (LeaseLostException e) {
                return "lease lost";
            }
        };
    }

    private static Callable<Object> acquire(RocksDbExecutor executor, String key, String worker) {
        return () -> executor.acquireLease(key, worker, TTL);
    }
}
