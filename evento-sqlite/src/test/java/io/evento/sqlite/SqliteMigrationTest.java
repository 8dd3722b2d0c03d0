package io.evento.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.evento.StoreException;
import io.evento.internal.sql.Migration;
import io.evento.internal.sql.MigrationRunner;
import io.evento.internal.sql.SqlScript;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.SubscriberState;
import io.evento.tck.fixtures.TestEvents;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteMigrationTest {
    @TempDir
    Path dir;

    @Test
    void every_migration_script_in_the_location_is_listed_in_version_order() throws Exception {
        URL location = SqliteExecutor.class.getResource("/" + SqliteExecutor.MIGRATIONS_LOCATION);
        assertThat(location).isNotNull();
        List<String> files;
        try (Stream<Path> list = Files.list(Path.of(location.toURI()))) {
            files = list.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".sql"))
                    .sorted()
                    .toList();
        }

        assertThat(SqliteExecutor.MIGRATION_FILES).containsExactlyInAnyOrderElementsOf(files);
        List<Integer> versions = SqliteExecutor.migrationRunner(Clock.systemUTC()).migrations().stream()
                .map(Migration::version)
                .toList();
        assertThat(versions).isSorted().doesNotHaveDuplicates().startsWith(1);
        assertThat(SqliteExecutor.MIGRATION_FILES)
                .extracting(name -> Migration.of(name, "").version())
                .containsExactlyElementsOf(versions);
    }

    @Test
    void migrations_are_recorded_once_with_their_checksums_however_often_the_file_is_opened() throws Exception {
        Path file = dir.resolve("events.db");
        SqliteExecutor.open(file).close();
        List<Object> installedAt = TestStore.column(file, "SELECT installed_at FROM evento_schema_history");

        for (int i = 0; i < 3; i++) {
            SqliteExecutor.open(file).close();
        }

        List<Migration> known =
                SqliteExecutor.migrationRunner(Clock.systemUTC()).migrations();
        assertThat(TestStore.column(file, "SELECT version FROM evento_schema_history ORDER BY version"))
                .containsExactlyElementsOf(
                        known.stream().map(m -> (Object) m.version()).toList());
        assertThat(TestStore.column(file, "SELECT checksum FROM evento_schema_history ORDER BY version"))
                .containsExactlyElementsOf(
                        known.stream().map(m -> (Object) m.checksum()).toList());
        assertThat(TestStore.column(file, "SELECT installed_at FROM evento_schema_history"))
                .isEqualTo(installedAt);
    }

    @Test
    void a_migration_changed_after_it_was_applied_is_refused_and_nothing_is_changed() throws Exception {
        Path file = dir.resolve("events.db");
        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            executor.write(TestEvents.events("t", "1", 1, 1));
        }
        TestStore.execute(file, "UPDATE evento_schema_history SET checksum = 'feedbeef' WHERE version = 1");

        assertThatThrownBy(() -> SqliteExecutor.open(file))
                .isInstanceOfSatisfying(
                        StoreException.class, e -> assertThat(e.isTransient()).isFalse())
                .hasMessageContaining("V1 (create event store)")
                .hasMessageContaining("changed after it was applied")
                .hasMessageContaining("feedbeef");
        assertThat(TestStore.count(file, "SELECT count(*) FROM evento_event")).isEqualTo(1);
        assertThat(TestStore.column(file, "SELECT checksum FROM evento_schema_history WHERE version = 1"))
                .containsExactly("feedbeef");
        assertThat(TestStore.count(file, "SELECT count(*) FROM evento_schema_history"))
                .isEqualTo(SqliteExecutor.MIGRATION_FILES.size());
    }

    @Test
    void a_database_migrated_by_a_newer_release_is_refused() throws Exception {
        Path file = dir.resolve("events.db");
        SqliteExecutor.open(file).close();
        TestStore.execute(
                file,
                "INSERT INTO evento_schema_history (version, description, checksum, installed_at)"
                        + " VALUES (999, 'from the future', 'abc', 0)");

        assertThatThrownBy(() -> SqliteExecutor.open(file))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("schema version 999")
                .hasMessageContaining("newer release");
    }

    @Test
    void a_schema_created_by_running_the_scripts_directly_as_flyway_would_is_accepted() throws Exception {
        Path file = dir.resolve("events.db");
        TestStore.execute(file, "PRAGMA journal_mode = WAL");
        for (Migration m : SqliteExecutor.migrationRunner(Clock.systemUTC()).migrations()) {
            TestStore.execute(file, SqlScript.statements(m.script()).toArray(String[]::new));
        }
        String storeId = (String) TestStore.single(file, "SELECT value FROM evento_meta WHERE key = 'store_id'");

        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            executor.write(TestEvents.events("t", "1", 1, 1));

            assertThat(executor.storeId()).isEqualTo(storeId);
        }
        assertThat(TestStore.count(file, "SELECT count(*) FROM evento_schema_history"))
                .isEqualTo(SqliteExecutor.MIGRATION_FILES.size());
    }

    @Test
    void a_store_of_schema_version_1_keeps_its_subscribers_leases_and_checkpoints_when_upgraded() throws Exception {
        Path file = dir.resolve("events.db");
        MigrationRunner v1Only = new MigrationRunner(
                SqliteExecutor.SCHEMA_HISTORY_TABLE,
                List.of("BEGIN IMMEDIATE"),
                List.of(SqliteExecutor.migrationRunner(Clock.systemUTC())
                        .migrations()
                        .getFirst()),
                Clock.systemUTC());
        try (Connection c = TestStore.connect(file)) {
            assertThat(v1Only.migrate(c)).extracting(Migration::version).containsExactly(1);
        }
        long future = SqliteExecutor.micros(Instant.now().plus(Duration.ofHours(1)));
        TestStore.execute(
                file,
                "INSERT INTO evento_subscriber (key, worker_id, token, expires_at, cursor, updated_at)"
                        + " VALUES ('held', 'w1', 3, " + future + ", 'c-held', 0)",
                "INSERT INTO evento_subscriber (key, worker_id, token, expires_at, cursor, updated_at)"
                        + " VALUES ('idle', 'w2', 5, 0, NULL, 0)");

        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            SubscriberState held = executor.subscriber("held").orElseThrow();
            assertThat(held.workerId()).contains("w1");
            assertThat(held.token()).isEqualTo(3);
            assertThat(held.cursor()).contains("c-held");
            assertThat(held.paused()).isFalse();
            assertThat(held.leased(Instant.now())).isTrue();
            assertThat(executor.acquireLease("held", "w2", Duration.ofMinutes(1)))
                    .isEmpty();
            Lease renewed =
                    executor.acquireLease("held", "w1", Duration.ofMinutes(1)).orElseThrow();
            assertThat(renewed.token()).isEqualTo(3);
            assertThat(executor.acquireLease("idle", "w3", Duration.ofMinutes(1)))
                    .map(Lease::token)
                    .contains(6L);
            assertThat(executor.parked("held", 10)).isEmpty();
        }
        assertHistoryHasEachVersionOnce(file);
    }

    @Test
    void replaying_the_scripts_over_a_migrated_store_keeps_its_subscribers_and_parked_events() throws Exception {
        Path file = dir.resolve("events.db");
        TestStore.execute(file, "PRAGMA journal_mode = WAL");
        for (Migration m : SqliteExecutor.migrationRunner(Clock.systemUTC()).migrations()) {
            TestStore.execute(file, SqlScript.statements(m.script()).toArray(String[]::new));
        }
        long future = SqliteExecutor.micros(Instant.now().plus(Duration.ofHours(1)));
        TestStore.execute(
                file,
                "INSERT INTO evento_subscriber (key, worker_id, token, expires_at, cursor, updated_at)"
                        + " VALUES ('sub', 'w1', 2, " + future + ", 'c1', 0)",
                "INSERT INTO evento_parked (key, event_id, aggregator_type, aggregator_id, version, error,"
                        + " attempts, parked_at) VALUES ('sub', 'e2', 't', '1', 2, 'second', 1, 0)",
                "INSERT INTO evento_parked (key, event_id, aggregator_type, aggregator_id, version, error,"
                        + " attempts, parked_at) VALUES ('sub', 'e1', 't', '1', 1, 'first', 1, 0)");

        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            SubscriberState state = executor.subscriber("sub").orElseThrow();
            assertThat(state.workerId()).contains("w1");
            assertThat(state.token()).isEqualTo(2);
            assertThat(state.cursor()).contains("c1");
            assertThat(executor.parked("sub", 10))
                    .extracting(ParkedEvent::eventId, ParkedEvent::error)
                    .containsExactly(tuple("e2", "second"), tuple("e1", "first"));
        }
        assertHistoryHasEachVersionOnce(file);
    }

    @Test
    void the_subscriber_table_refuses_a_paused_flag_other_than_0_or_1() throws Exception {
        Path file = dir.resolve("events.db");
        SqliteExecutor.open(file).close();

        assertThatThrownBy(() -> TestStore.execute(
                        file,
                        "INSERT INTO evento_subscriber (key, worker_id, token, expires_at, updated_at, paused)"
                                + " VALUES ('k', '', 0, 0, 0, 2)"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("CHECK");
    }

    @Test
    void the_runner_applies_only_the_pending_migrations() throws Exception {
        Path file = dir.resolve("custom.db");
        Migration v1 = Migration.of("V1__first.sql", "CREATE TABLE a (x INTEGER);");
        Migration v2 = Migration.of("V2__second.sql", "CREATE TABLE b (x INTEGER); INSERT INTO a VALUES (1);");

        try (Connection c = TestStore.connect(file)) {
            assertThat(runner(v1).migrate(c)).containsExactly(v1);
            assertThat(runner(v1, v2).migrate(c)).containsExactly(v2);
            assertThat(runner(v1, v2).migrate(c)).isEmpty();
        }

        assertThat(TestStore.column(file, "SELECT description FROM history ORDER BY version"))
                .containsExactly("first", "second");
        assertThat(TestStore.count(file, "SELECT count(*) FROM a")).isEqualTo(1);
    }

    @Test
    void a_failing_migration_leaves_neither_its_changes_nor_its_history_behind() throws Exception {
        Path file = dir.resolve("custom.db");
        Migration v1 = Migration.of("V1__good.sql", "CREATE TABLE a (x INTEGER);");
        Migration v2 = Migration.of("V2__bad.sql", "CREATE TABLE b (x INTEGER); INSERT INTO missing VALUES (1);");

        try (Connection c = TestStore.connect(file)) {
            assertThatThrownBy(() -> runner(v1, v2).migrate(c))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("missing");
        }

        assertThat(TestStore.column(file, "SELECT name FROM sqlite_master WHERE type = 'table'"))
                .doesNotContain("a", "b", "history");
    }

    @Test
    void a_pending_migration_older_than_an_applied_one_is_refused() throws Exception {
        Path file = dir.resolve("custom.db");
        Migration v1 = Migration.of("V1__one.sql", "CREATE TABLE a (x INTEGER);");
        Migration v2 = Migration.of("V2__two.sql", "CREATE TABLE b (x INTEGER);");
        try (Connection c = TestStore.connect(file)) {
            runner(v2).migrate(c);

            assertThatThrownBy(() -> runner(v1, v2).migrate(c))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("V1 (one)")
                    .hasMessageContaining("out-of-order");
        }
    }

    @Test
    void the_runner_refuses_two_migrations_of_one_version_and_a_history_table_that_is_not_an_identifier() {
        Migration a = Migration.of("V1__a.sql", "SELECT 1");
        Migration b = Migration.of("V1__b.sql", "SELECT 2");

        assertThatThrownBy(() -> runner(a, b))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("version 1");
        assertThatThrownBy(() -> new MigrationRunner(
                        "history; DROP TABLE x", List.of("BEGIN IMMEDIATE"), List.of(a), Clock.systemUTC()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("history; DROP TABLE x");
    }

    @Test
    void migration_file_names_must_follow_the_versioned_pattern() {
        assertThat(Migration.of("V12__add_an_index.sql", "")).satisfies(m -> {
            assertThat(m.version()).isEqualTo(12);
            assertThat(m.description()).isEqualTo("add an index");
        });
        for (String bad : List.of("V0__zero.sql", "1__x.sql", "V1_x.sql", "V1__x.txt", "V1__.sql", "R__repeat.sql")) {
            assertThatThrownBy(() -> Migration.of(bad, ""))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(bad);
        }
    }

    @Test
    void checksums_ignore_line_endings_but_not_content() {
        assertThat(Migration.checksum("CREATE TABLE a (x INTEGER);\r\n"))
                .isEqualTo(Migration.checksum("CREATE TABLE a (x INTEGER);\n"))
                .isNotEqualTo(Migration.checksum("CREATE TABLE a (y INTEGER);\n"))
                .hasSize(64);
    }

    @Test
    void the_script_splitter_keeps_semicolons_in_strings_and_identifiers_and_drops_comments() {
        String script = """
                -- a comment; with a semicolon
                CREATE TABLE "odd;name" (x TEXT DEFAULT 'a;b'); /* block; comment */
                INSERT INTO "odd;name" VALUES ('it''s; fine');

                ;
                SELECT `tick;` FROM t -- trailing
                """;

        assertThat(SqlScript.statements(script))
                .containsExactly(
                        "CREATE TABLE \"odd;name\" (x TEXT DEFAULT 'a;b')",
                        "INSERT INTO \"odd;name\" VALUES ('it''s; fine')",
                        "SELECT `tick;` FROM t");
        assertThatThrownBy(() -> SqlScript.statements("SELECT 'open"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unclosed");
        assertThatThrownBy(() -> SqlScript.statements("SELECT 1 /* open"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unclosed block comment");
    }

    @Test
    void many_threads_opening_the_same_new_file_at_once_all_succeed_with_one_schema() throws Exception {
        Path file = dir.resolve("events.db");
        int threads = 8;
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<String>> opened = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int i = 0; i < threads; i++) {
                int n = i;
                opened.add(pool.submit(() -> {
                    start.await();
                    try (SqliteExecutor executor = SqliteExecutor.open(file)) {
                        executor.write(TestEvents.events("t", "thread-" + n, 1, 1));
                        return executor.storeId();
                    }
                }));
            }
            List<String> storeIds = new ArrayList<>();
            for (Future<String> f : opened) {
                storeIds.add(f.get(60, TimeUnit.SECONDS));
            }

            assertThat(new HashSet<>(storeIds)).hasSize(1);
        }
        assertHistoryHasEachVersionOnce(file);
        assertThat(TestStore.count(file, "SELECT count(*) FROM evento_event")).isEqualTo(threads);
        assertThat(TestStore.count(file, "SELECT count(*) FROM evento_meta")).isEqualTo(1);
    }

    @Test
    void two_processes_opening_the_same_new_file_at_once_both_succeed_with_one_schema_history() throws Exception {
        Path file = dir.resolve("events.db");
        Path go = dir.resolve("go");
        List<Process> processes = new ArrayList<>();
        List<BufferedReader> outputs = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Process p = new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "java")
                                        .toString(),
                                "--enable-native-access=ALL-UNNAMED",
                                "-cp",
                                System.getProperty("java.class.path"),
                                OpenInAnotherProcess.class.getName(),
                                file.toString(),
                                go.toString())
                        .redirectError(dir.resolve("process-" + i + ".err").toFile())
                        .start();
                processes.add(p);
                outputs.add(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
            }
            for (BufferedReader output : outputs) {
                assertThat(output.readLine()).isEqualTo("ready");
            }
            Files.createFile(go);

            List<String> storeIds = new ArrayList<>();
            for (int i = 0; i < processes.size(); i++) {
                Process p = processes.get(i);
                assertThat(p.waitFor(60, TimeUnit.SECONDS))
                        .as("process %d finished", i)
                        .isTrue();
                assertThat(p.exitValue())
                        .as(
                                "process %d exit value; its errors: %s",
                                i, Files.readString(dir.resolve("process-" + i + ".err")))
                        .isZero();
                storeIds.add(outputs.get(i).readLine());
            }

            assertThat(storeIds).allMatch(s -> s.startsWith("store ")).doesNotContainNull();
            assertThat(new HashSet<>(storeIds)).hasSize(1);
        } finally {
            processes.forEach(Process::destroyForcibly);
        }
        assertHistoryHasEachVersionOnce(file);
        assertThat(TestStore.single(file, "PRAGMA journal_mode")).isEqualTo("wal");
    }

    private static void assertHistoryHasEachVersionOnce(Path file) throws SQLException {
        List<Object> expected = SqliteExecutor.migrationRunner(Clock.systemUTC()).migrations().stream()
                .map(m -> (Object) m.version())
                .toList();
        assertThat(TestStore.column(file, "SELECT version FROM evento_schema_history ORDER BY version"))
                .containsExactlyElementsOf(expected);
    }

    private static MigrationRunner runner(Migration... migrations) {
        return new MigrationRunner("history", List.of("BEGIN IMMEDIATE"), List.of(migrations), Clock.systemUTC());
    }
}
