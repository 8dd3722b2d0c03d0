package io.evento.mysql;

import static io.evento.tck.fixtures.TestEvents.events;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.evento.Page;
import io.evento.PageRequest;
import io.evento.RoutingFilter;
import io.evento.StoreException;
import io.evento.spi.Executor;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The proof, by experiment, that the global order is skip-free: writers commit concurrently through
 * two executors on one database (two sequencers raising one horizon), while transactions that took
 * their positions early are held open on purpose and committed late or rolled back, and a reader
 * tails the log with the public read API from its last cursor.
 */
class MysqlGlobalOrderTest {
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final String TYPE = "order/Account";

    @AfterAll
    static void dropDatabases() {
        TestDatabases.dropAll();
    }

    @Test
    void a_tailing_reader_sees_every_committed_event_once_in_one_order_while_writes_commit_late_or_roll_back()
            throws Exception {
        String url = TestDatabases.create();
        int writers = 8;
        int commitsEach = 40;
        int heldWrites = 24;
        try (MysqlExecutor a = open(url, Duration.ofMillis(500));
                MysqlExecutor b = open(url, Duration.ofMillis(500));
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Set<String> committed = ConcurrentHashMap.newKeySet();
            Set<String> rolledBack = ConcurrentHashMap.newKeySet();
            AtomicInteger commits = new AtomicInteger();
            AtomicBoolean writing = new AtomicBoolean(true);
            CountDownLatch start = new CountDownLatch(1);

            // Held writes open throughout the run, each resolved after others committed past it.
            Future<?> holder = threads.submit(() -> {
                start.await();
                for (int h = 0; h < heldWrites; h++) {
                    List<StoredEvent> held = events(TYPE, "held-" + h, 1, 1 + h % 3);
                    HeldInsert write = new HeldInsert(url, held);
                    int opened = commits.get();
                    awaitCondition(() -> commits.get() >= opened + 12 || !writing.get());
                    if (h % 3 == 1) {
                        write.rollback();
                        held.forEach(e -> rolledBack.add(e.id()));
                    } else {
                        write.commit();
                        held.forEach(e -> committed.add(e.id()));
                    }
                }
                return null;
            });
            List<Future<?>> writerTasks = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                Executor through = w % 2 == 0 ? a : b;
                String id = "writer-" + w;
                int perCommit = w % 4 == 3 ? 3 : 1;
                writerTasks.add(threads.submit(() -> {
                    start.await();
                    for (int i = 0; i < commitsEach; i++) {
                        List<StoredEvent> commit = events(TYPE, id, i * perCommit + 1, (i + 1) * perCommit);
                        through.write(commit);
                        commit.forEach(e -> committed.add(e.id()));
                        commits.incrementAndGet();
                    }
                    return null;
                }));
            }
            List<String> seen = new CopyOnWriteArrayList<>();
            AtomicBoolean done = new AtomicBoolean();
            Future<?> reader = threads.submit(() -> tail(a, seen, () -> done.get() && seen.size() >= committed.size()));

            start.countDown();
            for (Future<?> writer : writerTasks) {
                writer.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            }
            writing.set(false);
            holder.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            done.set(true);
            reader.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

            assertThat(seen).as("no event is seen twice").doesNotHaveDuplicates();
            assertThat(seen).as("nothing rolled back is seen").doesNotContainAnyElementsOf(rolledBack);
            assertThat(new HashSet<>(seen)).as("every committed event is seen").isEqualTo(committed);
            assertThat(seen)
                    .as("the reader's order is the store's one order, as both executors read it")
                    .isEqualTo(ids(all(a)))
                    .isEqualTo(ids(all(b)));
            // 6 writers of single events and 2 of three-event commits; 8 held writes of 1 and 8 of 3 events committed.
            assertThat(committed).hasSize(6 * commitsEach + 2 * commitsEach * 3 + 8 + 8 * 3);
            assertThat(TestDatabases.count(url, "SELECT COUNT(*) FROM evento_event WHERE aggregator_type = ''"))
                    .as("every position of a rolled-back write sealed with one placeholder")
                    .isEqualTo(rolledBack.size());
        }
    }

    @Test
    void readers_never_see_part_of_a_commit_even_when_it_takes_several_insert_statements() throws Exception {
        String url = TestDatabases.create();
        // "huge" commits take two statements, between which other writers take positions.
        Map<String, Integer> commitSizes = Map.of("small", 1, "mid", 7, "huge", EventSql.MAX_ROWS_PER_INSERT + 101);
        int rounds = 6;
        try (MysqlExecutor a = open(url, Duration.ofMillis(500));
                MysqlExecutor b = open(url, Duration.ofMillis(500));
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            AtomicBoolean writing = new AtomicBoolean(true);
            List<Future<?>> writers = new ArrayList<>();
            for (Map.Entry<String, Integer> aggregate : commitSizes.entrySet()) {
                for (MysqlExecutor through : List.of(a, b)) {
                    String id = aggregate.getKey() + "-" + (through == a ? "a" : "b");
                    int size = aggregate.getValue();
                    writers.add(threads.submit(() -> {
                        for (int r = 0; r < rounds; r++) {
                            through.write(events(TYPE, id, r * size + 1, (r + 1) * size));
                        }
                        return null;
                    }));
                }
            }
            Future<Integer> checker = threads.submit(() -> {
                int checks = 0;
                do {
                    Map<String, List<Integer>> versions = new HashMap<>();
                    for (StoredEvent e : all(checks % 2 == 0 ? a : b)) {
                        versions.computeIfAbsent(e.aggregatorId(), k -> new ArrayList<>())
                                .add(e.version());
                    }
                    versions.forEach((id, seen) -> {
                        int size = commitSizes.get(id.substring(0, id.indexOf('-')));
                        assertThat(seen.size() % size)
                                .as("events of %s seen", id)
                                .isZero();
                        for (int i = 0; i < seen.size(); i++) {
                            assertThat(seen.get(i))
                                    .as("version order of %s", id)
                                    .isEqualTo(i + 1);
                        }
                    });
                    checks++;
                } while (writing.get());
                return checks;
            });
            for (Future<?> writer : writers) {
                writer.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            }
            writing.set(false);

            assertThat(checker.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isPositive();
            int total = 2
                    * rounds
                    * commitSizes.values().stream().mapToInt(Integer::intValue).sum();
            await().atMost(PATIENCE).until(() -> all(a).size() == total);
            assertThat(ids(all(a))).isEqualTo(ids(all(b)));
        }
    }

    @Test
    void closing_one_executor_mid_run_loses_nothing_while_another_on_the_same_database_carries_on() throws Exception {
        String url = TestDatabases.create();
        MysqlExecutor leaving = open(url, Duration.ofMillis(500));
        try (MysqlExecutor staying = open(url, Duration.ofMillis(50));
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Set<String> committed = ConcurrentHashMap.newKeySet();
            Set<String> unknownOutcome = ConcurrentHashMap.newKeySet();
            AtomicInteger leavingCommits = new AtomicInteger();
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 6; w++) {
                MysqlExecutor through = w % 2 == 0 ? leaving : staying;
                String id = "w-" + w;
                writers.add(threads.submit(() -> {
                    for (int v = 1; v <= 60; v++) {
                        List<StoredEvent> commit = events(TYPE, id, v, v);
                        try {
                            through.write(commit);
                        } catch (StoreException e) {
                            // A write cut off by the close may or may not have committed.
                            assertThat(through).isSameAs(leaving);
                            commit.forEach(c -> unknownOutcome.add(c.id()));
                            return null;
                        }
                        commit.forEach(e -> committed.add(e.id()));
                        if (through == leaving) {
                            leavingCommits.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            List<String> seen = new CopyOnWriteArrayList<>();
            AtomicBoolean done = new AtomicBoolean();
            Future<?> reader =
                    threads.submit(() -> tail(staying, seen, () -> done.get() && seen.size() >= committed.size()));

            awaitCondition(() -> leavingCommits.get() >= 40);
            leaving.close();
            for (Future<?> writer : writers) {
                writer.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            }
            done.set(true);
            reader.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

            assertThat(leavingCommits.get()).isBetween(40, 179);
            assertThat(seen).doesNotHaveDuplicates();
            assertThat(seen).containsAll(committed);
            Set<String> extra = new HashSet<>(seen);
            extra.removeAll(committed);
            assertThat(unknownOutcome).containsAll(extra);
            assertThat(seen).isEqualTo(ids(all(staying)));
        } finally {
            leaving.close();
        }
    }

    @Test
    void events_of_a_process_that_died_between_its_commit_and_its_pass_are_made_visible_by_another_executors_poll()
            throws Exception {
        String url = TestDatabases.create();
        try (MysqlExecutor executor = open(url, Duration.ofMillis(20))) {
            List<StoredEvent> orphans = events(TYPE, "orphan", 1, 3);
            // Committed exactly as a write would, by a "process" that never runs a pass.
            new HeldInsert(url, orphans).commit();

            await().atMost(PATIENCE)
                    .untilAsserted(() -> assertThat(all(executor))
                            .extracting(StoredEvent::id)
                            .containsExactlyElementsOf(ids(orphans)));
        }
    }

    @Test
    void passes_go_on_while_every_connection_of_the_executors_pool_is_busy() throws Exception {
        String url = TestDatabases.create();
        try (MysqlExecutor executor = MysqlExecutor.builder()
                .jdbcUrl(url)
                .maximumPoolSize(1)
                .pollInterval(Duration.ofMillis(20))
                .open()) {
            List<StoredEvent> orphans = events(TYPE, "orphan", 1, 2);
            // The pool's only connection stays busy until the horizon is past the orphans, which
            // only this executor's polling passes can raise.
            long horizon = executor.inTransaction(c -> {
                new HeldInsert(url, orphans).commit();
                long deadline = System.nanoTime() + PATIENCE.toNanos();
                while (System.nanoTime() < deadline) {
                    long next = TestDatabases.count(url, Sequencer.NEXT_POSITION);
                    if (next > 2) {
                        return next - 1;
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                }
                return -1L;
            });

            assertThat(horizon).isEqualTo(2L);
        }
    }

    @Test
    void a_rolled_back_write_burns_its_positions_which_a_pass_seals_so_that_the_horizon_moves_on() throws Exception {
        String url = TestDatabases.create();
        try (MysqlExecutor executor = open(url, Duration.ofHours(1))) {
            executor.write(events(TYPE, "before", 1, 2));
            HeldInsert doomed = new HeldInsert(url, events(TYPE, "doomed", 1, 3));
            List<StoredEvent> after = events(TYPE, "after", 1, 1);
            executor.write(after);
            doomed.rollback();

            // The read waits for this executor's write at position 6, past the burnt 3-5.
            assertThat(all(executor))
                    .extracting(StoredEvent::aggregatorId)
                    .containsExactly("before", "before", "after");
            assertThat(executor.sequencer().sealed()).isEqualTo(3);
            assertThat(TestDatabases.column(
                            url, "SELECT position FROM evento_event WHERE aggregator_type = '' ORDER BY position"))
                    .containsExactly(3L, 4L, 5L);
            assertThat(TestDatabases.count(url, Sequencer.NEXT_POSITION)).isEqualTo(7);
            // A sealed position is taken for good: nothing can be inserted there any more.
            try (Connection c = TestDatabases.connect(url)) {
                assertThat(Sequencer.seal(c, 4)).isEqualTo(Sequencer.Seal.COMMITTED);
            }
        }
    }

    @Test
    void a_transaction_left_open_holds_the_horizon_back_and_is_never_sealed_and_nothing_after_it_is_lost()
            throws Exception {
        String url = TestDatabases.create();
        try (MysqlExecutor writer = open(url, Duration.ofHours(1));
                MysqlExecutor reader = open(url, Duration.ofMillis(20))) {
            writer.write(events(TYPE, "before", 1, 1));
            List<StoredEvent> late = events(TYPE, "late", 1, 2);
            HeldInsert open = new HeldInsert(url, late);
            List<StoredEvent> after = events(TYPE, "after", 1, 1);
            writer.write(after);

            // The reader's passes find the open transaction's positions locked, and leave them be.
            awaitCondition(() -> reader.sequencer().inFlight() >= 2);
            assertThat(all(reader)).extracting(StoredEvent::aggregatorId).containsExactly("before");
            assertThat(reader.sequencer().sealed()).isZero();

            open.commit();
            await().atMost(PATIENCE)
                    .untilAsserted(() -> assertThat(all(reader))
                            .extracting(StoredEvent::aggregatorId)
                            .containsExactly("before", "late", "late", "after"));
            assertThat(all(writer)).isEqualTo(all(reader));
            assertThat(TestDatabases.count(url, "SELECT COUNT(*) FROM evento_event WHERE aggregator_type = ''"))
                    .isZero();
        }
    }

    @Test
    void loads_see_committed_events_above_the_horizon_and_appending_to_them_needs_no_pass() throws Exception {
        String url = TestDatabases.create();
        try (MysqlExecutor executor = open(url, Duration.ofHours(1))) {
            List<StoredEvent> committedElsewhere = events(TYPE, "fresh", 1, 2, Optional.of("eu"));
            new HeldInsert(url, committedElsewhere).commit();

            assertThat(all(executor))
                    .as("no pass has run, so above the horizon and held back from reads")
                    .isEmpty();
            assertThat(executor.readAggregate(TYPE, "fresh", 0, 10)).isEqualTo(committedElsewhere);
            assertThat(executor.lastEvent(TYPE, "fresh")).contains(committedElsewhere.get(1));

            // The version check reads versions, not the horizon; the routing key is the aggregate's.
            executor.write(events(TYPE, "fresh", 3, 3));
            assertThat(all(executor))
                    .extracting(StoredEvent::version, e -> e.routingKey().orElseThrow())
                    .containsExactly(tuple(1, "eu"), tuple(2, "eu"), tuple(3, "eu"));
        }
    }

    private static MysqlExecutor open(String url, Duration pollInterval) {
        return MysqlExecutor.builder()
                .jdbcUrl(url)
                .maximumPoolSize(6)
                .pollInterval(pollInterval)
                .open();
    }

    /** Reads forward from the last cursor until {@code finished}; waits at most PATIENCE once it is idle. */
    private static void tail(Executor executor, List<String> seen, BooleanSupplier finished) {
        Optional<String> cursor = Optional.empty();
        long idleSince = 0;
        while (true) {
            Page<StoredEvent> page = executor.read(new ReadQuery(
                    List.of(), RoutingFilter.ALL, new PageRequest(PageRequest.Direction.FORWARD, 17, cursor)));
            page.nodes().forEach(e -> seen.add(e.id()));
            if (!page.isEmpty()) {
                cursor = page.pageInfo().endCursor();
                idleSince = 0;
                continue;
            }
            if (finished.getAsBoolean()) {
                return;
            }
            if (idleSince == 0) {
                idleSince = System.nanoTime();
            } else if (System.nanoTime() - idleSince > PATIENCE.toNanos()) {
                throw new AssertionError("the reader saw " + seen.size() + " events and then nothing for " + PATIENCE);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    private static void awaitCondition(BooleanSupplier condition) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(1)).until(condition::getAsBoolean);
    }

    private static List<StoredEvent> all(Executor executor) {
        List<StoredEvent> all = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        while (true) {
            Page<StoredEvent> page = executor.read(new ReadQuery(
                    List.of(), RoutingFilter.ALL, new PageRequest(PageRequest.Direction.FORWARD, 500, cursor)));
            all.addAll(page.nodes());
            if (!page.pageInfo().hasNextPage()) {
                return all;
            }
            cursor = page.pageInfo().endCursor();
        }
    }

    private static List<String> ids(List<StoredEvent> events) {
        return events.stream().map(StoredEvent::id).toList();
    }
}
