package io.evento.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.PageRequest;
import io.evento.StoreException;
import io.evento.internal.Cursors;
import io.evento.internal.sql.Migration;
import io.evento.internal.sql.MigrationRunner;
import io.evento.internal.sql.SqlScript;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.SubscriberState;
import io.evento.tck.fixtures.TestEvents;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class MysqlMigrationTest {
    @AfterAll
    static void dropDatabases() {
        TestDatabases.dropAll();
    }

    @Test
    void every_migration_script_in_the_location_is_listed_in_version_order() throws Exception {
        URL location = MysqlExecutor.class.getResource("/" + MysqlExecutor.MIGRATIONS_LOCATION);
        assertThat(location).isNotNull();
        List<String> files;
        try (Stream<Path> list = Files.list(Path.of(location.toURI()))) {
            files = list.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".sql"))
                    .sorted()
                    .toList();
        }

        assertThat(MysqlMigrations.FILES).containsExactlyInAnyOrderElementsOf(files);
        assertThat(MysqlMigrations.migrations())
                .extracting(Migration::version)
                .isSorted()
                .doesNotHaveDuplicates()
                .startsWith(1);
    }

    @Test
    void migrations_are_recorded_once_with_their_checksums_however_often_the_database_is_opened() throws Exception {
        String url = TestDatabases.create();
        MysqlExecutor.open(url).close();
        List<Object> installedAt = TestDatabases.column(url, "SELECT installed_at FROM evento_schema_history");
        String storeId = storeId(url);

        for (int i = 0; i < 3; i++) {
            MysqlExecutor.open(url).close();
        }

        List<Migration> known = MysqlMigrations.migrations();
        assertThat(TestDatabases.column(url, "SELECT version FROM evento_schema_history ORDER BY version"))
                .containsExactlyElementsOf(
                        known.stream().map(m -> (Object) m.version()).toList());
        assertThat(TestDatabases.column(url, "SELECT checksum FROM evento_schema_history ORDER BY version"))
                .containsExactlyElementsOf(
                        known.stream().map(m -> (Object) m.checksum()).toList());
        assertThat(TestDatabases.column(url, "SELECT installed_at FROM evento_schema_history"))
                .isEqualTo(installedAt);
        assertThat(storeId(url)).isEqualTo(storeId).matches("[0-9a-f]{12}");
        assertThat(TestDatabases.count(url, "SELECT COUNT(*) FROM evento_sequence"))
                .isEqualTo(1);
    }

    @Test
    void processes_opening_a_new_database_at_the_same_moment_migrate_it_once_and_share_one_store() throws Exception {
        String url = TestDatabases.create();
        int processes = 4;
        CyclicBarrier together = new CyclicBarrier(processes);
        List<Future<String>> opened = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(processes)) {
            for (int p = 0; p < processes; p++) {
                opened.add(threads.submit(() -> {
                    together.await();
                    try (MysqlExecutor executor = MysqlExecutor.builder()
                            .jdbcUrl(url)
                            .maximumPoolSize(2)
                            .open()) {
                        executor.write(TestEvents.events(
                                "t", "by-" + Thread.currentThread().getName(), 1, 1));
                        return executor.storeId();
                    }
                }));
            }
            List<String> storeIds = new ArrayList<>();
            for (Future<String> f : opened) {
                storeIds.add(f.get(60, TimeUnit.SECONDS));
            }
            assertThat(new HashSet<>(storeIds)).singleElement().isEqualTo(storeId(url));
        }
        assertThat(TestDatabases.count(url, "SELECT COUNT(*) FROM evento_schema_history"))
                .isEqualTo(MysqlMigrations.FILES.size());
        assertThat(TestDatabases.count(url, "SELECT COUNT(*) FROM evento_event WHERE position > 0"))
                .isEqualTo(processes);
    }

    @Test
    void the_migration_lock_is_released_once_the_database_is_open() throws Exception {
        String url = TestDatabases.create();
        try (MysqlExecutor executor = MysqlExecutor.open(url);
                Connection other = TestDatabases.connect(url);
                PreparedStatement lock =
                        other.prepareStatement("SELECT GET_LOCK(" + MysqlMigrations.LOCK_NAME + ", 0)");
                ResultSet rs = lock.executeQuery()) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }

    @Test
    void opening_waits_for_another_processes_migration_and_gives_up_with_a_transient_error() throws Exception {
        String url = TestDatabases.create();
        try (Connection migrating = TestDatabases.connect(url);
                PreparedStatement lock =
                        migrating.prepareStatement("SELECT GET_LOCK(" + MysqlMigrations.LOCK_NAME + ", 0)");
                ResultSet rs = lock.executeQuery();
                Connection opening = TestDatabases.connect(url)) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);

            assertThatThrownBy(() -> MysqlMigrations.migrate(
                            opening, java.time.Clock.systemUTC(), java.time.Duration.ofSeconds(1)))
                    .isInstanceOfSatisfying(
                            StoreException.class,
                            e -> assertThat(e.isTransient()).isTrue())
                    .hasMessageContaining("migration lock");
        }
        assertThat(TestDatabases.column(url, "SHOW TABLES")).isEmpty();
    }

    @Test
    void a_migration_changed_after_it_was_applied_is_refused_and_nothing_is_changed() throws Exception {
        String url = TestDatabases.create();
        try (MysqlExecutor executor = MysqlExecutor.open(url)) {
            executor.write(TestEvents.events("t", "1", 1, 1));
        }
        TestDatabases.execute(url, "UPDATE evento_schema_history SET checksum = 'feedbeef' WHERE version = 1");

        assertThatThrownBy(() -> MysqlExecutor.open(url))
                .isInstanceOfSatisfying(
                        StoreException.class, e -> assertThat(e.isTransient()).isFalse())
                .hasMessageContaining("V1 (create event store)")
                .hasMessageContaining("changed after it was applied")
                .hasMessageContaining("feedbeef");
        assertThat(TestDatabases.count(url, "SELECT COUNT(*) FROM evento_event"))
                .isEqualTo(1);
        List<Object> expected = new ArrayList<>(MysqlMigrations.migrations().stream()
                .map(m -> (Object) m.checksum())
                .toList());
        expected.set(0, "feedbeef");
        assertThat(TestDatabases.column(url, "SELECT checksum FROM evento_schema_history ORDER BY version"))
                .containsExactlyElementsOf(expected);
    }

    @Test
    void a_database_migrated_by_a_newer_release_is_refused() throws Exception {
        String url = TestDatabases.create();
        MysqlExecutor.open(url).close();
        TestDatabases.execute(
                url,
                "INSERT INTO evento_schema_history (version, description, checksum, installed_at)"
                        + " VALUES (999, 'from the future', 'abc', 0)");

        assertThatThrownBy(() -> MysqlExecutor.open(url))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("schema version 999")
                .hasMessageContaining("newer release");
    }

    @Test
    void a_schema_created_by_running_the_scripts_directly_as_flyway_would_is_accepted() throws Exception {
        String url = TestDatabases.create();
        for (Migration m : MysqlMigrations.migrations()) {
            TestDatabases.execute(url, SqlScript.statements(m.script()).toArray(String[]::new));
            // Scripts are idempotent: running one twice changes nothing.
            TestDatabases.execute(url, SqlScript.statements(m.script()).toArray(String[]::new));
        }
        String storeId = storeId(url);

        try (MysqlExecutor executor = MysqlExecutor.open(url)) {
            executor.write(TestEvents.events("t", "1", 1, 1));

            assertThat(executor.storeId()).isEqualTo(storeId);
        }
        assertThat(TestDatabases.count(url, "SELECT COUNT(*) FROM evento_schema_history"))
                .isEqualTo(MysqlMigrations.FILES.size());
    }

    @Test
    void a_version_1_store_is_upgraded_keeping_its_subscribers_checkpoints_and_leases() throws Exception {
        String url = storeOfVersion(1);
        TestDatabases.execute(
                url,
                "INSERT INTO evento_subscriber (subscription_key, worker_id, token, expires_at, checkpoint,"
                        + " updates, updated_at) VALUES ('old', 'w1', 4, '9999-01-01 00:00:00', 'cursor-1', 3,"
                        + " UTC_TIMESTAMP(6))");

        try (MysqlExecutor executor = MysqlExecutor.open(url)) {
            SubscriberState old = executor.subscriber("old").orElseThrow();
            assertThat(old.paused()).isFalse();
            assertThat(old.workerId()).contains("w1");
            assertThat(old.token()).isEqualTo(4);
            assertThat(old.cursor()).contains("cursor-1");
            assertThat(executor.acquireLease("old", "w1", Duration.ofMinutes(1)))
                    .hasValueSatisfying(lease -> assertThat(lease.token()).isEqualTo(4));
            assertThat(executor.acquireLease("old", "w2", Duration.ofMinutes(1)))
                    .isEmpty();
            assertThat(executor.parked("old", 10)).isEmpty();
        }
        assertThat(TestDatabases.column(url, "SELECT version FROM evento_schema_history ORDER BY version"))
                .containsExactlyElementsOf(MysqlMigrations.migrations().stream()
                        .map(m -> (Object) m.version())
                        .toList());
    }

    @Test
    void a_version_2_store_is_upgraded_with_its_events_in_order_and_the_waiting_ones_positioned_after()
            throws Exception {
        String url = storeOfVersion(2);
        // Two positioned events, then two that a version 2 writer committed (position NULL) and
        // whose process stopped before its sequencer's pass.
        String columns = "(position, id, aggregator_type, aggregator_id, version, commit_end, name, data, metadata,"
                + " timestamp)";
        TestDatabases.execute(
                url,
                "INSERT INTO evento_event " + columns + " VALUES (1, 'e1', 't', 'a', 1, 1, 'E', '{}', '{}', 0),"
                        + " (2, 'e2', 't', 'a', 2, 2, 'E', '{}', '{}', 0)",
                "UPDATE evento_sequence SET next_position = 3 WHERE name = 'global'",
                "INSERT INTO evento_event " + columns + " VALUES (NULL, 'e3', 't', 'b', 1, 2, 'E', '{}', '{}', 0),"
                        + " (NULL, 'e4', 't', 'b', 2, 2, 'E', '{}', '{}', 0)");

        try (MysqlExecutor executor = MysqlExecutor.open(url)) {
            List<StoredEvent> fresh = TestEvents.events("t", "c", 1, 1);
            executor.write(fresh);

            assertThat(executor.read(ReadQuery.all(PageRequest.forward(10))).nodes())
                    .extracting(StoredEvent::id)
                    .containsExactly("e1", "e2", "e3", "e4", fresh.getFirst().id());
        }
        assertThat(
                        TestDatabases.column(
                                url,
                                "SELECT is_nullable FROM information_schema.columns"
                                        + " WHERE table_schema = DATABASE() AND table_name = 'evento_event' AND column_name = 'position'"))
                .containsExactly("NO");
        assertThat(TestDatabases.column(url, "SELECT position FROM evento_event ORDER BY position"))
                .containsExactly(1L, 2L, 3L, 4L, 5L);
    }

    @Test
    void a_version_3_store_is_upgraded_keeping_every_position_so_that_old_cursors_read_on_where_they_stopped()
            throws Exception {
        String url = storeOfVersion(3);
        // Version 3 positioned committed rows after they were inserted: e2 (seq 2) committed after
        // e3 (seq 3) and got the later position; e4 and e5 wait for their pass (position 0).
        String columns = "(seq, position, id, aggregator_type, aggregator_id, version, commit_end, name, data,"
                + " metadata, timestamp)";
        TestDatabases.execute(
                url,
                "INSERT INTO evento_event " + columns + " VALUES (1, 1, 'e1', 't', 'a', 1, 1, 'E', '{}', '{}', 0),"
                        + " (2, 3, 'e2', 't', 'b', 1, 1, 'E', '{}', '{}', 0),"
                        + " (3, 2, 'e3', 't', 'c', 1, 1, 'E', '{}', '{}', 0),"
                        + " (4, 0, 'e4', 't', 'd', 1, 2, 'E', '{}', '{}', 0),"
                        + " (5, 0, 'e5', 't', 'd', 2, 2, 'E', '{}', '{}', 0)",
                "UPDATE evento_sequence SET next_position = 4 WHERE name = 'global'");
        // A subscriber of version 3 that handled e1 and e3.
        String checkpoint = Cursors.encode(storeId(url), 2);

        try (MysqlExecutor executor = MysqlExecutor.open(url)) {
            List<StoredEvent> fresh = TestEvents.events("t", "f", 1, 1);
            executor.write(fresh);

            assertThat(executor.read(ReadQuery.all(PageRequest.forward(10))).nodes())
                    .extracting(StoredEvent::id)
                    .containsExactly(
                            "e1", "e3", "e2", "e4", "e5", fresh.getFirst().id());
            assertThat(executor.read(ReadQuery.all(PageRequest.forward(10, checkpoint)))
                            .nodes())
                    .extracting(StoredEvent::id)
                    .containsExactly("e2", "e4", "e5", fresh.getFirst().id());
        }
        assertThat(TestDatabases.column(
                        url,
                        "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE()"
                                + " AND table_name = 'evento_event' AND column_key = 'PRI'"))
                .containsExactly("position");
        assertThat(TestDatabases.count(
                        url,
                        "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()"
                                + " AND table_name = 'evento_event' AND column_name = 'seq'"))
                .isZero();
        // New names for the filter indexes: an older release's page queries, which know no horizon,
        // fail on their FORCE INDEX instead of reading past a write that commits late.
        assertThat(TestDatabases.column(
                        url,
                        "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema ="
                                + " DATABASE() AND table_name = 'evento_event' ORDER BY index_name"))
                .containsExactly(
                        "evento_event_aggregate_version",
                        "evento_event_by_name",
                        "evento_event_by_routing_key",
                        "evento_event_by_type",
                        "PRIMARY");
    }

    @Test
    void a_table_emptied_behind_the_stores_back_takes_new_positions_above_the_horizon() throws Exception {
        String url = TestDatabases.create();
        String checkpoint;
        try (MysqlExecutor executor = MysqlExecutor.open(url)) {
            executor.write(TestEvents.events("t", "a", 1, 3));
            checkpoint = executor.read(ReadQuery.all(PageRequest.forward(10)))
                    .pageInfo()
                    .endCursor()
                    .orElseThrow();
        }
        // TRUNCATE resets InnoDB's AUTO_INCREMENT counter; the horizon stays at 4.
        TestDatabases.execute(url, "TRUNCATE TABLE evento_event");

        try (MysqlExecutor executor = MysqlExecutor.open(url)) {
            List<StoredEvent> fresh = TestEvents.events("t", "b", 1, 1);
            executor.write(fresh);

            assertThat(executor.read(ReadQuery.all(PageRequest.forward(10, checkpoint)))
                            .nodes())
                    .containsExactlyElementsOf(fresh);
        }
        assertThat(TestDatabases.column(url, "SELECT position FROM evento_event"))
                .containsExactly(4L);
    }

    @Test
    void a_server_whose_auto_increment_values_skip_numbers_is_refused_before_anything_is_created() throws Exception {
        String url = TestDatabases.create();
        String stepping = url + (url.contains("?") ? "&" : "?") + "sessionVariables=auto_increment_increment=2";

        assertThatThrownBy(() -> MysqlExecutor.open(stepping))
                .isInstanceOfSatisfying(
                        StoreException.class, e -> assertThat(e.isTransient()).isFalse())
                .hasMessageContaining("auto_increment_increment is 2");
        assertThat(TestDatabases.count(
                        url, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"))
                .isZero();
    }

    @Test
    void a_url_without_a_database_is_refused_naming_the_problem() {
        String url = TestDatabases.url("");

        assertThatThrownBy(() -> MysqlExecutor.open(url))
                .isInstanceOfSatisfying(
                        StoreException.class, e -> assertThat(e.isTransient()).isFalse())
                .hasMessageContaining("no default database");
    }

    /** A new database migrated to schema version {@code version} only, as an older release left it. */
    private static String storeOfVersion(int version) throws Exception {
        String url = TestDatabases.create();
        try (Connection c = TestDatabases.connect(url)) {
            new MigrationRunner(
                            MysqlMigrations.HISTORY_TABLE,
                            List.of("START TRANSACTION"),
                            MysqlMigrations.migrations().subList(0, version),
                            Clock.systemUTC())
                    .migrate(c);
        }
        return url;
    }

    private static String storeId(String url) throws Exception {
        return (String) TestDatabases.column(url, "SELECT meta_value FROM evento_meta WHERE meta_key = 'store_id'")
                .getFirst();
    }
}
