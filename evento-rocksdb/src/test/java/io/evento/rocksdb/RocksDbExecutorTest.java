package io.evento.rocksdb;

import static io.evento.tck.fixtures.TestEvents.all;
import static io.evento.tck.fixtures.TestEvents.events;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.evento.Durability;
import io.evento.EventFilter;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.RoutingFilter;
import io.evento.StoreException;
import io.evento.spi.Executor;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import io.evento.spi.SubscriberState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

class RocksDbExecutorTest {
    private static final Duration TTL = Duration.ofMinutes(5);

    @TempDir
    Path dir;

    @Test
    void reopening_keeps_events_positions_store_id_checkpoints_leases_and_snapshots() {
        Path store = dir.resolve("store");
        String storeId;
        String cursorOfSecond;
        List<StoredEvent> before;
        Lease lease;
        StoredSnapshot snapshot = new StoredSnapshot("balance", "t", "a", "rev-1", 2, new byte[] {1, 2, 3}, 42L);
        try (RocksDbExecutor executor = RocksDbExecutor.open(store)) {
            storeId = executor.storeId();
            executor.write(events("t", "a", 1, 2, Optional.of("eu")));
            executor.write(events("t", "b", 1, 1));
            executor.write(events("u", "c", 1, 1));
            before = all(executor);
            cursorOfSecond = executor.read(ReadQuery.all(PageRequest.forward(2)))
                    .pageInfo()
                    .endCursor()
                    .orElseThrow();
            lease = executor.acquireLease("sub", "w1", TTL).orElseThrow();
            executor.acknowledge(lease, cursorOfSecond);
            executor.saveSnapshot(snapshot);
        }

        try (RocksDbExecutor executor = RocksDbExecutor.open(store)) {
            assertThat(executor.storeId()).isEqualTo(storeId);
            assertThat(all(executor)).isEqualTo(before);
            assertThat(executor.read(ReadQuery.all(PageRequest.forward(10, cursorOfSecond)))
                            .nodes())
                    .as("a cursor from before reopening")
                    .isEqualTo(before.subList(2, 4));
            assertThat(executor.read(ReadQuery.all(PageRequest.backward(10, cursorOfSecond)))
                            .nodes())
                    .isEqualTo(before.subList(0, 1));
            assertThat(executor.subscriberCursor("sub")).contains(cursorOfSecond);
            assertThat(executor.acquireLease("sub", "w2", TTL)).as("w1's lease").isEmpty();
            assertThat(executor.acquireLease("sub", "w1", TTL))
                    .hasValueSatisfying(l -> assertThat(l.token()).isEqualTo(lease.token()));
            assertThat(executor.snapshot("balance", "t", "a")).contains(snapshot);
            assertThat(executor.lastEvent("t", "a")).contains(before.get(1));

            executor.write(events("t", "a", 3, 3, Optional.of("ignored")));
            Page<StoredEvent> after = executor.read(ReadQuery.all(PageRequest.forward(10, cursorOfSecond)));
            assertThat(after.nodes()).hasSize(3);
            StoredEvent appended = after.nodes().getLast();
            assertThat(appended.version()).isEqualTo(3);
            assertThat(appended.routingKey()).as("the aggregate's routing key").contains("eu");
            assertThat(executor.read(ReadQuery.all(PageRequest.backward(1))).nodes())
                    .as("positions continue after the last one")
                    .containsExactly(appended);
        }
    }

    @Test
    void a_second_open_of_an_open_directory_in_this_process_is_refused_clearly() throws Exception {
        Path store = dir.resolve("store");
        try (RocksDbExecutor first = RocksDbExecutor.open(store)) {
            first.write(events("t", "a", 1, 1));

            assertThatThrownBy(() -> RocksDbExecutor.open(store))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("already open in this process")
                    .hasMessageContaining(store.toRealPath().toString());
            Path sameDirectoryOtherwiseSpelled = dir.resolve("other/../store");
            Files.createDirectories(dir.resolve("other"));
            assertThatThrownBy(() -> RocksDbExecutor.open(sameDirectoryOtherwiseSpelled))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("already open in this process");
            Path link = Files.createSymbolicLink(dir.resolve("link"), store);
            assertThatThrownBy(() -> RocksDbExecutor.open(link))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("already open in this process");
            assertThat(all(first)).as("the first executor still works").hasSize(1);
        }
        try (RocksDbExecutor again = RocksDbExecutor.open(store)) {
            assertThat(all(again)).hasSize(1);
        }
    }

    @Test
    void after_close_every_call_fails_with_a_store_exception_and_closing_again_does_nothing() {
        RocksDbExecutor executor = RocksDbExecutor.open(dir.resolve("store"));
        executor.write(events("t", "a", 1, 1));
        String cursor = executor.read(ReadQuery.all(PageRequest.forward(1)))
                .pageInfo()
                .endCursor()
                .orElseThrow();
        Lease lease = executor.acquireLease("sub", "w1", TTL).orElseThrow();

        executor.close();
        executor.close();

        List<Runnable> calls = List.of(
                () -> executor.write(events("t", "a", 2, 2)),
                () -> executor.read(ReadQuery.all(PageRequest.forward(1))),
                () -> executor.read(ReadQuery.all(PageRequest.backward(1, cursor))),
                () -> executor.read(ReadQuery.of(PageRequest.forward(1), new EventFilter.ByType("t"))),
                () -> executor.readAggregate("t", "a", 0, 10),
                () -> executor.lastEvent("t", "a"),
                () -> executor.acquireLease("sub", "w1", TTL),
                () -> executor.releaseLease(lease),
                () -> executor.subscriberCursor("sub"),
                () -> executor.acknowledge(lease, cursor),
                () -> executor.snapshot("p", "t", "a"),
                () -> executor.saveSnapshot(new StoredSnapshot("p", "t", "a", "r", 1, new byte[0], 0)));
        for (Runnable call : calls) {
            assertThatThrownBy(call::run)
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("is closed")
                    .satisfies(
                            e -> assertThat(((StoreException) e).isTransient()).isFalse());
        }
    }

    @Test
    void closing_while_threads_write_and_read_commits_every_write_it_accepted_and_refuses_the_rest() throws Exception {
        Path store = dir.resolve("store");
        ConcurrentLinkedQueue<String> committed = new ConcurrentLinkedQueue<>();
        RocksDbExecutor executor = RocksDbExecutor.open(store);
        AtomicBoolean refused = new AtomicBoolean();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
                ExecutorService busy = RocksDbConcurrencyTest.busyThreads()) {
            CountDownLatch running = new CountDownLatch(6);
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                String id = "w" + w;
                workers.add(threads.submit(() -> {
                    running.countDown();
                    for (int v = 1; ; v++) {
                        List<StoredEvent> commit = events("t", id, v, v);
                        try {
                            executor.write(commit);
                        } catch (StoreException e) {
                            assertThat(e).hasMessageContaining("is closed");
                            refused.set(true);
                            return null;
                        }
                        committed.add(commit.getFirst().id());
                    }
                }));
            }
            for (int r = 0; r < 2; r++) {
                workers.add(busy.submit(() -> {
                    running.countDown();
                    while (true) {
                        try {
                            executor.read(ReadQuery.of(PageRequest.backward(20), new EventFilter.ByType("t")));
                        } catch (StoreException e) {
                            assertThat(e).hasMessageContaining("is closed");
                            return null;
                        }
                    }
                }));
            }
            running.await();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> committed.size() > 100);
            executor.close();
            for (Future<?> worker : workers) {
                worker.get(20, TimeUnit.SECONDS);
            }
        }

        assertThat(refused).isTrue();
        try (RocksDbExecutor reopened = RocksDbExecutor.open(store)) {
            assertThat(all(reopened)).extracting(StoredEvent::id).containsExactlyInAnyOrderElementsOf(committed);
        }
    }

    @Test
    void ids_names_and_keys_that_would_collide_under_naive_key_concatenation_stay_apart() {
        try (RocksDbExecutor executor = RocksDbExecutor.open(dir.resolve("store"))) {
            // Pairs whose plain concatenation is the same, a separator inside an id, unpaired
            // surrogates (which UTF-8 would turn into the same '?'), and ids that prefix each other.
            List<String[]> aggregates = List.of(
                    new String[] {"ab", "c"},
                    new String[] {"a", "bc"},
                    new String[] {"a", "b\u0001c"},
                    new String[] {"a", "\uD800"},
                    new String[] {"a", "\uDBFF"},
                    new String[] {"a", "?"},
                    new String[] {"a", "b"},
                    new String[] {"a", "bb"});
            for (String[] a : aggregates) {
                executor.write(events(a[0], a[1], 1, 2, Optional.of(a[1])));
            }

            for (String[] a : aggregates) {
                List<StoredEvent> stream = executor.readAggregate(a[0], a[1], 0, 10);
                assertThat(stream).as("%s/%s", a[0], a[1]).hasSize(2).allSatisfy(e -> {
                    assertThat(e.aggregatorType()).isEqualTo(a[0]);
                    assertThat(e.aggregatorId()).isEqualTo(a[1]);
                });
                assertThat(executor.read(ReadQuery.of(PageRequest.forward(100), new EventFilter.ById(a[0], a[1])))
                                .nodes())
                        .isEqualTo(stream);
                assertThat(executor.read(new ReadQuery(List.of(), RoutingFilter.key(a[1]), PageRequest.forward(100)))
                                .nodes())
                        .as("routing key %s", a[1])
                        .isEqualTo(stream);
            }
            assertThat(executor.read(ReadQuery.of(PageRequest.forward(100), new EventFilter.ByType("a")))
                            .nodes())
                    .hasSize(2 * (aggregates.size() - 1));
        }
    }

    @Test
    void a_store_of_another_format_is_refused_and_left_as_it_is() throws Exception {
        Path store = dir.resolve("store");
        try (RocksDbExecutor executor = RocksDbExecutor.open(store)) {
            executor.write(events("t", "a", 1, 1));
        }
        byte[] format = new byte[] {0, 0, 0, 4};
        rawWrite(store, Keys.FORMAT, format);

        assertThatThrownBy(() -> RocksDbExecutor.open(store))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("format 4")
                .hasMessageContaining("reads formats 1 to 3");

        rawWrite(store, Keys.FORMAT, new byte[] {0, 0, 0, 3});
        try (RocksDbExecutor executor = RocksDbExecutor.open(store)) {
            assertThat(all(executor)).hasSize(1);
        }
    }

    @Test
    void a_rocksdb_database_of_another_application_is_refused_and_left_untouched() throws Exception {
        Path foreign = dir.resolve("foreign");
        try (org.rocksdb.Options options = new org.rocksdb.Options().setCreateIfMissing(true);
                RocksDB db = RocksDB.open(options, foreign.toString())) {
            db.put("key".getBytes(StandardCharsets.UTF_8), "value".getBytes(StandardCharsets.UTF_8));
        }

        assertThatThrownBy(() -> RocksDbExecutor.open(foreign))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("not an Evento store")
                .hasMessageContaining("[default]");

        try (org.rocksdb.Options options = new org.rocksdb.Options();
                RocksDB db = RocksDB.openReadOnly(options, foreign.toString())) {
            assertThat(RocksDB.listColumnFamilies(options, foreign.toString())).hasSize(1);
            assertThat(db.get("format".getBytes(StandardCharsets.UTF_8))).isNull();
            assertThat(db.get("key".getBytes(StandardCharsets.UTF_8))).isNotNull();
        }
    }

    @Test
    void a_page_reads_the_requested_direction_from_every_kind_of_source() {
        try (RocksDbExecutor executor = RocksDbExecutor.open(dir.resolve("store"))) {
            for (int round = 1; round <= 5; round++) {
                executor.write(events("t", "a", round, round, Optional.of("eu")));
                executor.write(events("u", "b", round, round));
            }
            List<StoredEvent> log = all(executor);
            String middle = executor.read(ReadQuery.all(PageRequest.forward(5)))
                    .pageInfo()
                    .endCursor()
                    .orElseThrow();

            assertThat(executor.read(ReadQuery.of(PageRequest.forward(2, middle), new EventFilter.ById("t", "a")))
                            .nodes())
                    .containsExactly(log.get(6), log.get(8));
            assertThat(executor.read(ReadQuery.of(PageRequest.backward(2, middle), new EventFilter.ById("t", "a")))
                            .nodes())
                    .containsExactly(log.get(0), log.get(2));
            assertThat(executor.read(new ReadQuery(List.of(), RoutingFilter.NONE, PageRequest.backward(2, middle)))
                            .nodes())
                    .containsExactly(log.get(1), log.get(3));
            assertThat(executor.read(ReadQuery.of(
                                    PageRequest.forward(3, middle),
                                    new EventFilter.ByName("u", "Event4"),
                                    new EventFilter.ById("t", "a"),
                                    new EventFilter.ByName("u", "Event5")))
                            .nodes())
                    .containsExactly(log.get(6), log.get(7), log.get(8));
        }
    }

    @Test
    void a_store_of_format_1_is_upgraded_when_opened_and_keeps_its_subscribers_leases() throws Exception {
        Path store = dir.resolve("store");
        Instant expiry = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        byte[] format1Subscriber = new Bytes(64)
                .putByte(1)
                .putString("w1")
                .putLong(3)
                .putLong(expiry.getEpochSecond())
                .putInt(0)
                .putByte(1)
                .putString("c1")
                .toArray();
        List<String> format1Families = List.of(
                "events",
                "aggregates",
                "events_by_type",
                "events_by_name",
                "events_by_routing_key",
                "subscribers",
                "snapshots");
        try (DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)) {
            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY));
            format1Families.forEach(
                    name -> descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.US_ASCII))));
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB db = RocksDB.open(options, store.toString(), descriptors, handles)) {
                db.put(handles.get(0), Keys.FORMAT, new byte[] {0, 0, 0, 1});
                db.put(handles.get(0), Keys.STORE_ID, "0123456789ab".getBytes(StandardCharsets.US_ASCII));
                db.put(handles.get(0), Keys.LAST_POSITION, Keys.position(0));
                db.put(handles.get(6), Keys.subscriber("sub"), format1Subscriber);
                handles.forEach(ColumnFamilyHandle::close);
            }
        }

        try (RocksDbExecutor executor = RocksDbExecutor.open(store)) {
            assertThat(executor.storeId()).isEqualTo("0123456789ab");
            SubscriberState state = executor.subscriber("sub").orElseThrow();
            assertThat(state)
                    .isEqualTo(new SubscriberState("sub", Optional.of("c1"), Optional.of("w1"), 3, expiry, false));
            assertThat(executor.acquireLease("sub", "w2", TTL)).isEmpty();
            Lease lease = executor.acquireLease("sub", "w1", TTL).orElseThrow();
            assertThat(lease.token()).isEqualTo(3);
            executor.park(lease, new ParkedEvent("sub", "e1", "t", "a", 1, "boom", 1, Instant.EPOCH));
            executor.pauseSubscriber("sub", true);
        }

        assertThat(rawRead(store, Keys.FORMAT)).containsExactly(0, 0, 0, 3);
        assertThat(rawRead(store, Keys.LAST_POSITION)).isNull();
        try (RocksDbExecutor executor = RocksDbExecutor.open(store)) {
            assertThat(executor.subscriber("sub").orElseThrow().paused()).isTrue();
            assertThat(executor.parked("sub", 10))
                    .extracting(ParkedEvent::eventId)
                    .containsExactly("e1");
        }
    }

    @Test
    void a_store_of_format_2_is_upgraded_when_opened_and_goes_on_from_its_last_position() throws Exception {
        Path store = dir.resolve("store");
        try (RocksDbExecutor executor = RocksDbExecutor.open(store)) {
            executor.write(events("t", "a", 1, 3));
            assertThat(executor.writeBatches()).isEqualTo(1);
        }
        assertThat(rawRead(store, Keys.LAST_POSITION)).isNull();
        // What format 2 wrote: the last position recorded beside the events.
        rawWrite(store, Keys.FORMAT, new byte[] {0, 0, 0, 2});
        rawWrite(store, Keys.LAST_POSITION, Keys.position(3));

        try (RocksDbExecutor executor = RocksDbExecutor.open(store)) {
            executor.write(events("t", "b", 1, 1));
            assertThat(all(executor))
                    .extracting(StoredEvent::aggregatorId, StoredEvent::version)
                    .containsExactly(tuple("a", 1), tuple("a", 2), tuple("a", 3), tuple("b", 1));
            assertThat(executor.read(ReadQuery.all(PageRequest.backward(1)))
                            .pageInfo()
                            .endCursor())
                    .isEqualTo(executor.read(ReadQuery.all(PageRequest.forward(4)))
                            .pageInfo()
                            .endCursor());
        }
        assertThat(rawRead(store, Keys.FORMAT)).containsExactly(0, 0, 0, 3);
        assertThat(rawRead(store, Keys.LAST_POSITION)).isNull();
    }

    @Test
    void a_store_of_format_2_whose_last_position_disagrees_with_its_events_is_refused_and_left_as_it_is()
            throws Exception {
        Path store = dir.resolve("store");
        try (RocksDbExecutor executor = RocksDbExecutor.open(store)) {
            executor.write(events("t", "a", 1, 3));
        }
        rawWrite(store, Keys.FORMAT, new byte[] {0, 0, 0, 2});
        rawWrite(store, Keys.LAST_POSITION, Keys.position(2));

        assertThatThrownBy(() -> RocksDbExecutor.open(store))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("inconsistent")
                .hasMessageContaining("last position 2 but its last event is at 3");
        assertThat(rawRead(store, Keys.FORMAT)).containsExactly(0, 0, 0, 2);
    }

    @Test
    void parked_events_keep_their_order_and_sequence_across_reopening() {
        Path store = dir.resolve("store");
        try (RocksDbExecutor executor = RocksDbExecutor.open(store)) {
            Lease lease = executor.acquireLease("sub", "w1", TTL).orElseThrow();
            executor.park(lease, parked("sub", "e1", "first"));
            executor.park(lease, parked("sub", "e2", "second"));
            executor.park(lease, parked("sub", "e3", "third"));
            assertThat(executor.unpark("sub", "e3")).isTrue();
        }

        try (RocksDbExecutor executor = RocksDbExecutor.open(store)) {
            Lease lease = executor.acquireLease("sub", "w1", TTL).orElseThrow();
            // A sequence number reused after reopening would overwrite e1 or e2, or sort before them.
            executor.park(lease, parked("sub", "e4", "fourth"));
            executor.park(lease, parked("sub", "e1", "first again"));
            executor.park(lease, parked("sub", "e3", "third again"));

            assertThat(executor.parked("sub", 10))
                    .extracting(ParkedEvent::eventId, ParkedEvent::error)
                    .containsExactly(
                            tuple("e1", "first again"),
                            tuple("e2", "second"),
                            tuple("e4", "fourth"),
                            tuple("e3", "third again"));
            assertThat(executor.parked("sub", 2))
                    .extracting(ParkedEvent::eventId)
                    .containsExactly("e1", "e2");
        }
    }

    @Test
    void commit_listeners_are_called_by_the_committing_thread_after_each_group_that_appended_events_only() {
        try (RocksDbExecutor executor = RocksDbExecutor.open(dir.resolve("store"))) {
            AtomicInteger calls = new AtomicInteger();
            AtomicReference<Thread> caller = new AtomicReference<>();
            Executor.Registration registration = executor.onCommit(() -> {
                caller.set(Thread.currentThread());
                calls.incrementAndGet();
            });
            try {
                executor.write(events("t", "a", 1, 1));
                passWriter(executor);
                assertThat(calls).hasValue(1);
                // The writer thread, or this one if it found the writer idle and committed itself.
                assertThat(caller.get())
                        .satisfiesAnyOf(
                                thread -> assertThat(thread).isSameAs(Thread.currentThread()),
                                thread -> assertThat(thread.getName()).startsWith("evento-rocksdb-writer-"));

                Lease lease = executor.acquireLease("sub", "w1", TTL).orElseThrow();
                executor.acknowledge(lease, "cursor");
                executor.park(lease, parked("sub", "e1", "boom"));
                executor.unpark("sub", "e1");
                executor.pauseSubscriber("sub", true);
                executor.resetSubscriber("sub", Optional.empty());
                executor.saveSnapshot(new StoredSnapshot("p", "t", "a", "r", 1, new byte[0], 1L));
                assertThatThrownBy(() -> executor.write(events("t", "a", 1, 1)))
                        .isInstanceOf(io.evento.ConcurrencyException.class);
                passWriter(executor);
                assertThat(calls).as("after commits that appended nothing").hasValue(1);

                executor.write(events("t", "a", 2, 2));
                passWriter(executor);
                assertThat(calls).hasValue(2);
            } finally {
                registration.close();
            }
            executor.write(events("t", "a", 3, 3));
            passWriter(executor);
            assertThat(calls).as("after the registration was closed").hasValue(2);
        }
    }

    @Test
    void a_caller_that_finds_the_writer_idle_commits_on_its_own_thread() {
        try (RocksDbExecutor executor = RocksDbExecutor.open(dir.resolve("store"))) {
            ConcurrentLinkedQueue<Thread> committers = new ConcurrentLinkedQueue<>();
            executor.onCommit(() -> committers.add(Thread.currentThread()));
            AtomicInteger version = new AtomicInteger();
            // The writer thread is idle once it has released a group and called the listeners; a
            // write that comes later commits itself. Writes until one did.
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
                int v = version.incrementAndGet();
                executor.write(events("t", "a", v, v));
                return committers.contains(Thread.currentThread());
            });

            assertThat(all(executor)).extracting(StoredEvent::version).hasSize(version.get());
            assertThat(executor.writeBatches()).isEqualTo(version.get());
        }
    }

    @Test
    void with_synced_writes_a_virtual_thread_leaves_the_commit_to_the_writer_thread() throws Exception {
        try (RocksDbExecutor executor = RocksDbExecutor.builder(dir.resolve("store"))
                        .durability(Durability.SURVIVES_POWER_LOSS)
                        .open();
                ExecutorService virtual = Executors.newVirtualThreadPerTaskExecutor()) {
            ConcurrentLinkedQueue<String> committers = new ConcurrentLinkedQueue<>();
            executor.onCommit(() -> committers.add(Thread.currentThread().getName()));
            // One write at a time: each finds the writer thread idle (or about to be), where a
            // platform thread would commit itself (see the test above).
            virtual.submit(() -> {
                        for (int v = 1; v <= 20; v++) {
                            executor.write(events("t", "a", v, v));
                        }
                        return null;
                    })
                    .get(30, TimeUnit.SECONDS);
            passWriter(executor);

            assertThat(committers).hasSize(20).allMatch(name -> name.startsWith("evento-rocksdb-writer-"));
        }
    }

    /**
     * Waits until the commit listeners of this thread's earlier writes ran. A caller that commits
     * its own group calls them before it returns; the writer thread calls them before it takes the
     * next group, and is idle (so a caller may commit in its stead) only after that: once a later
     * command returns, they ran.
     */
    private static void passWriter(RocksDbExecutor executor) {
        executor.releaseLease(new Lease("barrier", "nobody", 1, Instant.EPOCH));
    }

    private static ParkedEvent parked(String key, String eventId, String error) {
        return new ParkedEvent(key, eventId, "t", "a", 1, error, 1, Instant.parse("2025-01-01T00:00:00Z"));
    }

    private static byte[] rawRead(Path store, byte[] key) throws Exception {
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY));
        for (String name : Store.COLUMN_FAMILIES) {
            descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.US_ASCII)));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions options = new DBOptions();
                RocksDB db = RocksDB.openReadOnly(options, store.toString(), descriptors, handles)) {
            byte[] value = db.get(handles.getFirst(), key);
            handles.forEach(ColumnFamilyHandle::close);
            return value;
        }
    }

    private static void rawWrite(Path store, byte[] key, byte[] value) throws Exception {
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY));
        for (String name : Store.COLUMN_FAMILIES) {
            descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.US_ASCII)));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions options = new DBOptions();
                RocksDB db = RocksDB.open(options, store.toString(), descriptors, handles)) {
            db.put(handles.getFirst(), key, value);
            handles.forEach(ColumnFamilyHandle::close);
        }
    }
}
