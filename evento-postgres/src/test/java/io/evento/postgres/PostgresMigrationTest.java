package io.evento.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.PageRequest;
import io.evento.StoreException;
import io.evento.internal.sql.Migration;
import io.evento.internal.sql.SqlScript;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.SubscriberState;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The built-in migrations: applied once, safely from several processes at once, and guarded. */
class PostgresMigrationTest {
    private static final TestDatabase DATABASE = new TestDatabase("evento_migration");

    @AfterAll
    static void dropSchemas() throws SQLException {
        DATABASE.dropSchemas();
    }

    @Test
    void opening_a_new_schema_creates_it_with_its_tables_and_records_the_migrations() throws SQLException {
        String schema = DATABASE.newSchema();

        try (PostgresExecutor executor = TestDatabase.open(schema)) {
            assertThat(executor.storeId()).matches("[0-9a-f]{12}");
        }

        assertThat(tables(schema))
                .containsExactlyInAnyOrder(
                        "evento_event",
                        "evento_subscriber",
                        "evento_parked",
                        "evento_snapshot",
                        "evento_meta",
                        "evento_schema_history");
        assertThat(history(schema))
                .containsExactly(
                        "1 create event store " + migrations().get(0).checksum(),
                        "2 subscriber control and parked events "
                                + migrations().get(1).checksum());
    }

    @Test
    void opening_again_applies_nothing_and_keeps_the_store_and_its_events() {
        String schema = DATABASE.newSchema();
        String cursor;
        String storeId;
        try (PostgresExecutor first = TestDatabase.open(schema)) {
            first.write(TestDatabase.events("kept", 1, 2));
            cursor = first.read(ReadQuery.all(PageRequest.forward(1)))
                    .pageInfo()
                    .endCursor()
                    .orElseThrow();
            storeId = first.storeId();
        }

        try (PostgresExecutor again = TestDatabase.open(schema)) {
            assertThat(again.storeId()).isEqualTo(storeId);
            assertThat(again.read(ReadQuery.all(PageRequest.forward(10, cursor)))
                            .nodes())
                    .extracting(StoredEvent::version)
                    .containsExactly(2);
        }
    }

    @Test
    void executors_opening_the_same_new_schema_at_once_all_succeed_and_share_one_store() throws Exception {
        String schema = DATABASE.newSchema();
        int processes = 6;
        CyclicBarrier start = new CyclicBarrier(processes);
        List<PostgresExecutor> opened = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(processes)) {
            List<Future<PostgresExecutor>> opening = new ArrayList<>();
            for (int i = 0; i < processes; i++) {
                opening.add(threads.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return PostgresExecutor.builder()
                            .jdbcUrl(TestDatabase.URL)
                            .schema(schema)
                            .maximumPoolSize(1)
                            .open();
                }));
            }
            for (Future<PostgresExecutor> f : opening) {
                opened.add(f.get(30, TimeUnit.SECONDS));
            }
        }
        try {
            assertThat(opened)
                    .extracting(PostgresExecutor::storeId)
                    .containsOnly(opened.getFirst().storeId());
            assertThat(history(schema)).hasSize(2);
            opened.get(1).write(TestDatabase.events("shared", 1, 1));
            assertThat(opened.get(4).lastEvent("tck/Account", "shared")).isPresent();
        } finally {
            opened.forEach(PostgresExecutor::close);
        }
    }

    @Test
    void a_migration_changed_after_it_was_applied_is_refused_and_nothing_is_touched() throws SQLException {
        String schema = DATABASE.newSchema();
        TestDatabase.open(schema).close();
        TestDatabase.execute("UPDATE \"" + schema + "\".evento_schema_history SET checksum = 'abc' WHERE version = 1");

        assertThatThrownBy(() -> TestDatabase.open(schema))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(schema)
                .hasMessageContaining("changed after it was applied")
                .satisfies(e -> assertThat(((StoreException) e).isTransient()).isFalse());
        assertThat(history(schema)).first().isEqualTo("1 create event store abc");
    }

    @Test
    void a_schema_migrated_by_a_newer_release_is_refused() throws SQLException {
        String schema = DATABASE.newSchema();
        TestDatabase.open(schema).close();
        TestDatabase.execute("INSERT INTO \"" + schema + "\".evento_schema_history"
                + " (version, description, checksum, installed_at) VALUES (99, 'future', 'f', 0)");

        assertThatThrownBy(() -> TestDatabase.open(schema))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("newer release");
    }

    @Test
    void a_schema_created_by_running_the_scripts_as_flyway_would_is_accepted_as_it_is() throws SQLException {
        String schema = DATABASE.newSchema();
        String storeId;
        try (Connection c = TestDatabase.connect();
                Statement statement = c.createStatement()) {
            statement.execute("CREATE SCHEMA \"" + schema + "\"");
            statement.execute("SET search_path TO \"" + schema + "\"");
            for (Migration migration : migrations()) {
                for (String sql : SqlScript.statements(migration.script())) {
                    statement.execute(sql);
                }
            }
            try (ResultSet rs = statement.executeQuery("SELECT value FROM evento_meta")) {
                assertThat(rs.next()).isTrue();
                storeId = rs.getString(1);
            }
        }

        try (PostgresExecutor executor = TestDatabase.open(schema)) {
            assertThat(executor.storeId()).isEqualTo(storeId);
            executor.write(TestDatabase.events("flyway", 1, 1));
            assertThat(executor.lastEvent("tck/Account", "flyway")).isPresent();
        }
        assertThat(history(schema)).hasSize(2);
    }

    @Test
    void the_scripts_are_on_the_documented_class_path_location() {
        assertThat(PostgresExecutor.MIGRATIONS_LOCATION).isEqualTo("db/evento/postgres");
        assertThat(PostgresExecutor.class.getResource("/db/evento/postgres/V1__create_event_store.sql"))
                .isNotNull();
        assertThat(PostgresExecutor.class.getResource(
                        "/db/evento/postgres/V2__subscriber_control_and_parked_events.sql"))
                .isNotNull();
    }

    @Test
    void a_store_of_the_first_release_is_migrated_keeping_its_subscriptions_leases_and_events() throws SQLException {
        String schema = DATABASE.newSchema();
        String storeId;
        try (Connection c = TestDatabase.connect();
                Statement statement = c.createStatement()) {
            // The first release's store, as it left it: V1 applied and recorded, a lease held.
            statement.execute("CREATE SCHEMA \"" + schema + "\"");
            statement.execute("SET search_path TO \"" + schema + "\"");
            for (String sql : SqlScript.statements(migrations().getFirst().script())) {
                statement.execute(sql);
            }
            statement.execute("CREATE TABLE evento_schema_history (version INTEGER PRIMARY KEY,"
                    + " description VARCHAR(200) NOT NULL, checksum VARCHAR(64) NOT NULL,"
                    + " installed_at BIGINT NOT NULL)");
            statement.execute("INSERT INTO evento_schema_history VALUES (1, 'create event store', '"
                    + migrations().getFirst().checksum() + "', 0)");
            statement.execute("INSERT INTO evento_subscriber (key, worker_id, token, expires_at, cursor, updated_at)"
                    + " VALUES ('ops', 'w1', 4, now() + interval '1 hour', 'kept-cursor', now())");
            try (ResultSet rs = statement.executeQuery("SELECT value FROM evento_meta")) {
                assertThat(rs.next()).isTrue();
                storeId = rs.getString(1);
            }
        }

        try (PostgresExecutor executor = TestDatabase.open(schema)) {
            assertThat(executor.storeId()).isEqualTo(storeId);
            SubscriberState ops = executor.subscriber("ops").orElseThrow();
            assertThat(ops.workerId()).contains("w1");
            assertThat(ops.token()).isEqualTo(4);
            assertThat(ops.cursor()).contains("kept-cursor");
            assertThat(ops.paused()).isFalse();
            Lease lease =
                    executor.acquireLease("ops", "w1", Duration.ofMinutes(1)).orElseThrow();
            assertThat(lease.token())
                    .as("the holder keeps its token across the upgrade")
                    .isEqualTo(4);
            executor.write(TestDatabase.events("upgraded", 1, 1));
            StoredEvent event = executor.lastEvent("tck/Account", "upgraded").orElseThrow();
            executor.park(
                    lease, new ParkedEvent("ops", event.id(), "tck/Account", "upgraded", 1, "boom", 1, Instant.now()));
            assertThat(executor.parked("ops", 10))
                    .extracting(ParkedEvent::eventId)
                    .containsExactly(event.id());
        }
        assertThat(history(schema)).hasSize(2);
    }

    private static List<Migration> migrations() {
        return Migration.load(
                PostgresExecutor.class, PostgresExecutor.MIGRATIONS_LOCATION, PostgresSchema.MIGRATION_FILES);
    }

    private static List<String> tables(String schema) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Connection c = TestDatabase.connect();
                Statement statement = c.createStatement();
                ResultSet rs =
                        statement.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = '" + schema + "'")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        return tables;
    }

    private static List<String> history(String schema) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = TestDatabase.connect();
                Statement statement = c.createStatement();
                ResultSet rs = statement.executeQuery("SELECT version, description, checksum FROM \"" + schema
                        + "\".evento_schema_history ORDER BY version")) {
            while (rs.next()) {
                rows.add(rs.getInt(1) + " " + rs.getString(2) + " " + rs.getString(3));
            }
        }
        return rows;
    }
}
