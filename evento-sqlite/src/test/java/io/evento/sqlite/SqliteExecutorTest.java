package io.evento.sqlite;

import static io.evento.tck.fixtures.TestEvents.events;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.evento.ConcurrencyException;
import io.evento.EventFilter;
import io.evento.InvalidCursorException;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.RoutingFilter;
import io.evento.StoreException;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import io.evento.tck.fixtures.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteException;

class SqliteExecutorTest {
    @TempDir
    Path dir;

    @Test
    void opening_a_new_file_creates_it_with_the_schema() throws Exception {
        Path file = dir.resolve("events.db");
        assertThat(file).doesNotExist();

        SqliteExecutor.open(file).close();

        assertThat(file).exists();
        assertThat(TestStore.column(file, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"))
                .contains(
                        "evento_event",
                        "evento_meta",
                        "evento_parked",
                        "evento_schema_history",
                        "evento_snapshot",
                        "evento_subscriber");
        assertThat(TestStore.column(file, "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name"))
                .contains(
                        "evento_event_aggregate_version",
                        "evento_event_name_position",
                        "evento_event_routing_position",
                        "evento_event_type_position",
                        "evento_parked_key_event",
                        "evento_parked_key_seq");
        assertThat((String) TestStore.single(file, "SELECT value FROM evento_meta WHERE key = 'store_id'"))
                .matches("[0-9a-f]{12}");
    }

    @Test
    void closing_leaves_one_self_contained_file_without_a_write_ahead_log() {
        Path file = dir.resolve("events.db");
        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            executor.write(events("t", "1", 1, 50));
            assertThat(executor.readAggregate("t", "1", 0, 100)).hasSize(50);
        }

        assertThat(dir.resolve("events.db-wal")).doesNotExist();
        try (SqliteExecutor reopened = SqliteExecutor.open(file)) {
            assertThat(reopened.readAggregate("t", "1", 0, 100)).hasSize(50);
        }
    }

    @Test
    void opening_creates_missing_parent_folders() {
        Path file = dir.resolve("a/b/c/events.db");

        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            executor.write(events("t", "1", 1, 1));
        }

        assertThat(file).exists();
    }

    @Test
    void the_file_is_in_wal_mode() throws Exception {
        Path file = dir.resolve("events.db");
        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            assertThat(TestStore.single(file, "PRAGMA journal_mode")).isEqualTo("wal");
            assertThat(dir.resolve("events.db-wal")).exists();
        }
    }

    @Test
    void reopening_keeps_the_events_and_the_store_id_so_cursors_from_before_still_work() {
        Path file = dir.resolve("events.db");
        String storeId;
        String cursorAfterTwo;
        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            executor.write(events("t", "1", 1, 3));
            storeId = executor.storeId();
            cursorAfterTwo = executor.read(ReadQuery.all(PageRequest.forward(2)))
                    .pageInfo()
                    .endCursor()
                    .orElseThrow();
        }

        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            assertThat(executor.storeId()).isEqualTo(storeId);
            Page<StoredEvent> rest = executor.read(ReadQuery.all(PageRequest.forward(10, cursorAfterTwo)));
            assertThat(rest.nodes()).extracting(StoredEvent::version).containsExactly(3);
            assertThat(executor.lastEvent("t", "1")).map(StoredEvent::version).contains(3);
        }
    }

    @Test
    void a_cursor_of_another_store_is_refused() {
        try (SqliteExecutor one = SqliteExecutor.open(dir.resolve("one.db"));
                SqliteExecutor two = SqliteExecutor.open(dir.resolve("two.db"))) {
            one.write(events("t", "1", 1, 2));
            two.write(events("t", "1", 1, 2));
            String cursor = one.read(ReadQuery.all(PageRequest.forward(1)))
                    .pageInfo()
                    .endCursor()
                    .orElseThrow();

            assertThatThrownBy(() -> two.read(ReadQuery.all(PageRequest.forward(1, cursor))))
                    .isInstanceOf(InvalidCursorException.class)
                    .hasMessageContaining("another store");
        }
    }

    @Test
    void a_closed_executor_refuses_every_call_with_a_store_exception() {
        SqliteExecutor executor = SqliteExecutor.open(dir.resolve("events.db"));
        executor.write(events("t", "1", 1, 1));
        String cursor = executor.read(ReadQuery.all(PageRequest.forward(1)))
                .pageInfo()
                .endCursor()
                .orElseThrow();
        Lease lease =
                executor.acquireLease("sub", "worker", Duration.ofMinutes(1)).orElseThrow();
        executor.close();

        Map<String, Consumer<SqliteExecutor>> calls = Map.ofEntries(
                Map.entry("write", e -> e.write(events("t", "1", 2, 2))),
                Map.entry("read", e -> e.read(ReadQuery.all(PageRequest.forward(1, cursor)))),
                Map.entry("readAggregate", e -> e.readAggregate("t", "1", 0, 10)),
                Map.entry("lastEvent", e -> e.lastEvent("t", "1")),
                Map.entry("acquireLease", e -> e.acquireLease("sub", "worker", Duration.ofMinutes(1))),
                Map.entry("releaseLease", e -> e.releaseLease(lease)),
                Map.entry("subscriberCursor", e -> e.subscriberCursor("sub")),
                Map.entry("acknowledge", e -> e.acknowledge(lease, cursor)),
                Map.entry("subscriber", e -> e.subscriber("sub")),
                Map.entry("resetSubscriber", e -> e.resetSubscriber("sub", Optional.empty())),
                Map.entry("pauseSubscriber", e -> e.pauseSubscriber("sub", true)),
                Map.entry("parked", e -> e.parked("sub", 10)),
                Map.entry("unpark", e -> e.unpark("sub", "event")),
                Map.entry(
                        "park",
                        e -> e.park(lease, new ParkedEvent("sub", "event", "t", "1", 1, "x", 1, Instant.EPOCH))),
                Map.entry("inTransaction", e -> e.inTransaction(c -> null)),
                Map.entry("snapshot", e -> e.snapshot("p", "t", "1")),
                Map.entry(
                        "saveSnapshot",
                        e -> e.saveSnapshot(new StoredSnapshot("p", "t", "1", "r1", 1, new byte[] {1}, 1L))));
        calls.forEach((name, call) -> assertThat(catchThrowable(() -> call.accept(executor)))
                .as(name)
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("executor is closed")
                .satisfies(e -> assertThat(((StoreException) e).isTransient()).isFalse()));
    }

    @Test
    void closing_twice_is_harmless() {
        SqliteExecutor executor = SqliteExecutor.open(dir.resolve("events.db"));
        executor.close();
        executor.close();

        assertThatThrownBy(() -> executor.lastEvent("t", "1")).isInstanceOf(StoreException.class);
    }

    @Test
    void sql_meta_characters_and_unicode_round_trip_as_data_in_every_string_field() {
        List<String> nasty = List.of(
                "'; DROP TABLE evento_event; --",
                "\" OR 1=1 --",
                "a%_\\b",
                "Grüße, 世界, שלום, 🚀🎉",
                "line\nbreak\ttab",
                "?1 ?2 :name @x $y",
                "/* comment */ `tick`");
        try (SqliteExecutor executor = SqliteExecutor.open(dir.resolve("events.db"))) {
            for (String s : nasty) {
                StoredEvent event = new StoredEvent(
                        s + "-id",
                        s,
                        s + "-agg",
                        1,
                        s + "-name",
                        Optional.of(s + "-route"),
                        s.getBytes(StandardCharsets.UTF_8),
                        ("{\"m\":\"" + s + "\"}").getBytes(StandardCharsets.UTF_8),
                        42L);
                executor.write(List.of(event));

                assertThat(executor.lastEvent(s, s + "-agg")).contains(event);
                assertThat(executor.readAggregate(s, s + "-agg", 0, 10)).containsExactly(event);
                assertThat(executor.read(new ReadQuery(
                                        List.of(new EventFilter.ByName(s, s + "-name")),
                                        RoutingFilter.key(s + "-route"),
                                        PageRequest.forward(10)))
                                .nodes())
                        .containsExactly(event);
                assertThat(executor.read(ReadQuery.of(PageRequest.backward(10), new EventFilter.ById(s, s + "-agg")))
                                .nodes())
                        .containsExactly(event);

                Lease lease = executor.acquireLease(s + "-key", s + "-worker", Duration.ofMinutes(1))
                        .orElseThrow();
                assertThat(lease.key()).isEqualTo(s + "-key");
                assertThat(lease.workerId()).isEqualTo(s + "-worker");
                String cursor = executor.read(ReadQuery.of(PageRequest.forward(1), new EventFilter.ByType(s)))
                        .pageInfo()
                        .endCursor()
                        .orElseThrow();
                executor.acknowledge(lease, cursor);
                assertThat(executor.subscriberCursor(s + "-key")).contains(cursor);

                StoredSnapshot snapshot =
                        new StoredSnapshot(s + "-projection", s, s + "-agg", s + "-revision", 1, event.data(), 7L);
                executor.saveSnapshot(snapshot);
                assertThat(executor.snapshot(s + "-projection", s, s + "-agg")).contains(snapshot);
            }
            assertThat(executor.read(ReadQuery.all(PageRequest.forward(100))).nodes())
                    .hasSize(nasty.size());
        }
    }

    @Test
    void empty_payloads_and_metadata_round_trip() {
        StoredEvent event =
                new StoredEvent("id-1", "t", "1", 1, "Empty", Optional.empty(), new byte[0], new byte[0], 0L);
        try (SqliteExecutor executor = SqliteExecutor.open(dir.resolve("events.db"))) {
            executor.write(List.of(event));

            assertThat(executor.lastEvent("t", "1")).contains(event);
            StoredSnapshot snapshot = new StoredSnapshot("p", "t", "1", "r", 1, new byte[0], 0L);
            executor.saveSnapshot(snapshot);
            assertThat(executor.snapshot("p", "t", "1")).contains(snapshot);
        }
    }

    @Test
    void a_large_commit_is_written_whole_and_in_version_order() {
        try (SqliteExecutor executor = SqliteExecutor.open(dir.resolve("events.db"))) {
            executor.write(events("t", "other", 1, 1));
            List<StoredEvent> commit = events("t", "big", 1, 300, Optional.of("route"));
            executor.write(commit);
            executor.write(events("t", "big", 301, 301));

            List<StoredEvent> loaded = new ArrayList<>(executor.readAggregate("t", "big", 0, 1000));
            assertThat(loaded).hasSize(301);
            assertThat(loaded.subList(0, 300)).isEqualTo(commit);
            assertThat(loaded.getLast().routingKey()).contains("route");
            List<StoredEvent> inGlobalOrder = executor.read(
                            ReadQuery.of(PageRequest.forward(1000), new EventFilter.ByType("t")))
                    .nodes();
            assertThat(inGlobalOrder.subList(1, 302)).isEqualTo(loaded);
        }
    }

    @Test
    void an_append_takes_the_routing_key_of_the_existing_aggregate() {
        try (SqliteExecutor executor = SqliteExecutor.open(dir.resolve("events.db"))) {
            executor.write(events("t", "1", 1, 1, Optional.of("eu")));
            executor.write(events("t", "1", 2, 3, Optional.of("us")));
            executor.write(events("t", "2", 1, 1));
            executor.write(events("t", "2", 2, 2, Optional.of("us")));

            assertThat(executor.readAggregate("t", "1", 0, 10))
                    .extracting(StoredEvent::routingKey)
                    .containsOnly(Optional.of("eu"));
            assertThat(executor.readAggregate("t", "2", 0, 10))
                    .extracting(StoredEvent::routingKey)
                    .containsOnly(Optional.empty());
        }
    }

    @Test
    void a_unique_key_violation_is_reported_as_a_concurrency_exception_caused_by_the_sqlite_error() throws Exception {
        Path file = dir.resolve("events.db");
        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            executor.write(events("t", "1", 1, 1));
            // Version 3 written behind the executor's back leaves a hole at 2: the version check
            // passes (version 1 exists, 2 does not), and only the unique key catches version 3.
            insertBehindTheExecutorsBack(file, "t", "1", 3);
            long before = TestStore.count(file, "SELECT count(*) FROM evento_event");

            Throwable thrown = catchThrowable(() -> executor.write(events("t", "1", 2, 3)));

            assertThat(thrown)
                    .isInstanceOfSatisfying(ConcurrencyException.class, e -> {
                        assertThat(e.aggregatorType()).isEqualTo("t");
                        assertThat(e.aggregatorId()).isEqualTo("1");
                        assertThat(e.expectedVersion()).isEqualTo(1);
                    })
                    .cause()
                    .isInstanceOfSatisfying(
                            SQLiteException.class,
                            e -> assertThat(e.getResultCode().code).isEqualTo(SqliteErrors.SQLITE_CONSTRAINT_UNIQUE));
            // Version 2 was inserted before version 3 failed; the rollback removed it again.
            assertThat(TestStore.count(file, "SELECT count(*) FROM evento_event"))
                    .isEqualTo(before);
            assertThat(executor.readAggregate("t", "1", 0, 10))
                    .extracting(StoredEvent::version)
                    .containsExactly(1, 3);
        }
    }

    @Test
    void a_commit_expecting_a_version_the_aggregate_has_not_reached_is_refused() {
        try (SqliteExecutor executor = SqliteExecutor.open(dir.resolve("events.db"))) {
            executor.write(events("t", "1", 1, 2));

            assertThatThrownBy(() -> executor.write(events("t", "1", 5, 5)))
                    .isInstanceOfSatisfying(
                            ConcurrencyException.class,
                            e -> assertThat(e.expectedVersion()).isEqualTo(4));
            assertThatThrownBy(() -> executor.write(events("t", "1", 1, 1)))
                    .isInstanceOfSatisfying(
                            ConcurrencyException.class,
                            e -> assertThat(e.expectedVersion()).isEqualTo(0));
            assertThat(executor.readAggregate("t", "1", 0, 10)).hasSize(2);
        }
    }

    @Test
    void two_executors_racing_to_create_the_same_aggregates_let_exactly_one_win_each_time() throws Exception {
        Path file = dir.resolve("events.db");
        int aggregates = 50;
        try (SqliteExecutor one = SqliteExecutor.open(file);
                SqliteExecutor two = SqliteExecutor.open(file);
                ExecutorService threads = Executors.newFixedThreadPool(2)) {
            for (int i = 0; i < aggregates; i++) {
                String id = "race-" + i;
                CountDownLatch start = new CountDownLatch(1);
                Future<Boolean> a = threads.submit(() -> create(one, id, start));
                Future<Boolean> b = threads.submit(() -> create(two, id, start));
                start.countDown();

                assertThat(List.of(a.get(), b.get())).as(id).containsExactlyInAnyOrder(true, false);
                assertThat(one.readAggregate("t", id, 0, 10)).hasSize(2);
            }
        }
    }

    private static boolean create(SqliteExecutor executor, String id, CountDownLatch start) throws Exception {
        start.await();
        try {
            executor.write(events("t", id, 1, 2));
            return true;
        } catch (ConcurrencyException e) {
            assertThat(e.expectedVersion()).isZero();
            assertThat(e.getCause()).isInstanceOf(SQLiteException.class);
            return false;
        }
    }

    @Test
    void a_write_blocked_by_another_connection_fails_transiently_after_the_busy_timeout_while_reads_go_on()
            throws Exception {
        Path file = dir.resolve("events.db");
        try (SqliteExecutor executor =
                SqliteExecutor.builder(file).busyTimeout(Duration.ofMillis(200)).open()) {
            executor.write(events("t", "1", 1, 1));
            try (Connection other = TestStore.connect(file);
                    Statement statement = other.createStatement()) {
                statement.execute("BEGIN IMMEDIATE");
                try {
                    long start = System.nanoTime();
                    Throwable thrown = catchThrowable(() -> executor.write(events("t", "1", 2, 2)));
                    Duration waited = Duration.ofNanos(System.nanoTime() - start);

                    assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(150));

                    assertThat(thrown)
                            .isInstanceOfSatisfying(
                                    StoreException.class,
                                    e -> assertThat(e.isTransient()).isTrue())
                            .hasMessageContaining("t/1");
                    assertThat(executor.readAggregate("t", "1", 0, 10)).hasSize(1);
                } finally {
                    statement.execute("ROLLBACK");
                }
            }
            executor.write(events("t", "1", 2, 2));
            assertThat(executor.lastEvent("t", "1")).map(StoredEvent::version).contains(2);
        }
    }

    @Test
    void full_durability_stores_and_reads_like_the_default() {
        try (SqliteExecutor executor = SqliteExecutor.builder(dir.resolve("events.db"))
                .synchronous(SqliteExecutor.Durability.FULL)
                .readConnections(1)
                .open()) {
            executor.write(events("t", "1", 1, 3));

            assertThat(executor.readAggregate("t", "1", 0, 10)).hasSize(3);
            assertThat(executor.read(ReadQuery.all(PageRequest.backward(2))).nodes())
                    .extracting(StoredEvent::version)
                    .containsExactly(2, 3);
        }
    }

    @Test
    void leases_expire_by_the_configured_clock_and_fence_off_the_former_owner() {
        MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
        try (SqliteExecutor executor =
                SqliteExecutor.builder(dir.resolve("events.db")).clock(clock).open()) {
            executor.write(events("t", "1", 1, 2));
            List<String> cursors = executor.read(ReadQuery.all(PageRequest.forward(2))).edges().stream()
                    .map(io.evento.Edge::cursor)
                    .toList();
            Lease first =
                    executor.acquireLease("sub", "w1", Duration.ofSeconds(10)).orElseThrow();
            assertThat(first.token()).isEqualTo(1);
            assertThat(first.expiresAt()).isEqualTo(Instant.parse("2025-01-01T00:00:10Z"));
            assertThat(executor.acquireLease("sub", "w2", Duration.ofSeconds(10)))
                    .isEmpty();
            executor.acknowledge(first, cursors.get(0));

            clock.advance(Duration.ofSeconds(10));
            Lease second =
                    executor.acquireLease("sub", "w2", Duration.ofSeconds(10)).orElseThrow();

            assertThat(second.token()).isEqualTo(2);
            assertThatThrownBy(() -> executor.acknowledge(first, cursors.get(1)))
                    .isInstanceOf(io.evento.LeaseLostException.class);
            assertThat(executor.subscriberCursor("sub")).contains(cursors.get(0));
            executor.releaseLease(second);
            Lease third =
                    executor.acquireLease("sub", "w1", Duration.ofSeconds(10)).orElseThrow();
            assertThat(third.token()).isEqualTo(3);
            assertThat(executor.subscriberCursor("sub")).contains(cursors.get(0));
        }
    }

    private static void insertBehindTheExecutorsBack(Path file, String type, String id, int version)
            throws SQLException {
        try (Connection c = TestStore.connect(file);
                var insert = c.prepareStatement("INSERT INTO evento_event (id, aggregator_type, aggregator_id,"
                        + " version, name, routing_key, data, metadata, timestamp) VALUES (?, ?, ?, ?, ?, NULL,"
                        + " x'00', x'00', 0)")) {
            insert.setString(1, "manual-" + version);
            insert.setString(2, type);
            insert.setString(3, id);
            insert.setInt(4, version);
            insert.setString(5, "Manual");
            insert.executeUpdate();
        }
    }

    @Test
    void a_file_that_is_not_a_database_is_refused_with_a_permanent_store_exception() throws Exception {
        Path file = dir.resolve("not-a-database.db");
        Files.writeString(file, "this is plain text, not SQLite, and long enough to look like a header".repeat(20));

        assertThatThrownBy(() -> SqliteExecutor.open(file))
                .isInstanceOfSatisfying(
                        StoreException.class, e -> assertThat(e.isTransient()).isFalse())
                .hasMessageContaining(file.toString());
    }
}
