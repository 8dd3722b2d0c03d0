package io.evento.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.evento.ConcurrencyException;
import io.evento.PageRequest;
import io.evento.StoreException;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** What is particular to PostgreSQL: connections, errors, large commits, the database clock. */
class PostgresExecutorTest {
    private static final TestDatabase DATABASE = new TestDatabase("evento_pg");

    @AfterAll
    static void dropSchemas() throws SQLException {
        DATABASE.dropSchemas();
    }

    @Test
    void a_database_that_is_down_is_a_clear_transient_store_exception_at_once() {
        long start = System.nanoTime();

        assertThatThrownBy(() -> PostgresExecutor.builder()
                        .jdbcUrl("jdbc:postgresql://127.0.0.1:1/test?user=postgres&connectTimeout=2&password=hidden")
                        .connectionTimeout(Duration.ofMillis(500))
                        .open())
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("connecting to jdbc:postgresql://127.0.0.1:1/test")
                .hasMessageContaining("SQLSTATE 08001")
                .hasMessageNotContaining("hidden")
                .satisfies(e -> assertThat(((StoreException) e).isTransient()).isTrue());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void versions_an_executor_remembers_never_let_an_append_past_another_executors_commit() throws Exception {
        String schema = DATABASE.newSchema();
        try (PostgresExecutor a = open(schema);
                PostgresExecutor b = open(schema)) {
            a.write(TestDatabase.events("shared", 1, 2));
            assertThat(b.readAggregate("tck/Account", "shared", 0, 10)).hasSize(2);
            b.write(TestDatabase.events("shared", 3, 3));

            // a wrote version 2 and remembers it; b has moved the aggregate to 3 since.
            assertThatThrownBy(() -> a.write(TestDatabase.events("shared", 3, 4)))
                    .isInstanceOf(ConcurrencyException.class);
            // Many writers through both executors, each appending at the version it last loaded:
            // exactly one commit per version, no holes.
            int writers = 8;
            List<Thread> threads = new java.util.ArrayList<>();
            java.util.concurrent.atomic.AtomicInteger conflicts = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            for (int w = 0; w < writers; w++) {
                PostgresExecutor executor = w % 2 == 0 ? a : b;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < 25; i++) {
                            int version = executor.lastEvent("tck/Account", "shared")
                                    .orElseThrow()
                                    .version();
                            try {
                                executor.write(List.of(uniqueId(TestDatabase.events("shared", version + 1, version + 1)
                                        .getFirst())));
                            } catch (ConcurrencyException e) {
                                conflicts.incrementAndGet();
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            List<StoredEvent> all = a.readAggregate("tck/Account", "shared", 0, 1_000);
            assertThat(all)
                    .extracting(StoredEvent::version)
                    .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, all.size())
                            .boxed()
                            .toList());
            assertThat(all.size() - 3 + conflicts.get()).isEqualTo(writers * 25);
        }
    }

    private static PostgresExecutor open(String schema) {
        return PostgresExecutor.builder()
                .jdbcUrl(TestDatabase.URL)
                .schema(schema)
                .maximumPoolSize(4)
                .open();
    }

    /** The event with an id of its own, so that only its version can conflict. */
    private static StoredEvent uniqueId(StoredEvent e) {
        return new StoredEvent(
                java.util.UUID.randomUUID().toString(),
                e.aggregatorType(),
                e.aggregatorId(),
                e.version(),
                e.name(),
                e.routingKey(),
                e.data(),
                e.metadata(),
                e.timestampMicros());
    }

    @Test
    void a_page_read_leaves_the_connection_with_its_own_planner_settings() throws SQLException {
        String schema = DATABASE.newSchema();
        try (PostgresExecutor executor = PostgresExecutor.builder()
                .jdbcUrl(TestDatabase.URL)
                .schema(schema)
                .maximumPoolSize(1)
                .open()) {
            executor.write(TestDatabase.events("settings", 1, 3));
            assertThat(executor.read(io.evento.spi.ReadQuery.all(io.evento.PageRequest.forward(10)))
                            .nodes())
                    .hasSize(3);
            // The pool's only connection just ran the page with its plan settings.
            String settings = executor.inTransaction(c -> {
                try (java.sql.Statement s = c.createStatement();
                        java.sql.ResultSet rs = s.executeQuery("SELECT current_setting('enable_bitmapscan') || '/'"
                                + " || current_setting('plan_cache_mode')")) {
                    rs.next();
                    return rs.getString(1);
                }
            });
            assertThat(settings).isEqualTo("on/auto");
        }
    }

    @Test
    void a_data_source_without_a_connection_to_give_is_a_transient_store_exception() throws SQLException {
        String schema = DATABASE.newSchema();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(TestDatabase.URL);
        config.setMaximumPoolSize(1);
        config.setConnectionTimeout(500);
        try (HikariDataSource pool = new HikariDataSource(config);
                PostgresExecutor executor = PostgresExecutor.builder()
                        .dataSource(pool)
                        .schema(schema)
                        .open()) {
            executor.write(TestDatabase.events("up", 1, 1));
            // The only connection of the pool is taken, as when the server stops answering.
            try (Connection taken = pool.getConnection()) {
                assertThat(taken.isValid(1)).isTrue();
                assertThatThrownBy(() -> executor.lastEvent("tck/Account", "up"))
                        .isInstanceOf(StoreException.class)
                        .satisfies(e ->
                                assertThat(((StoreException) e).isTransient()).isTrue());
            }
            assertThat(executor.lastEvent("tck/Account", "up")).isPresent();
        }
    }

    @Test
    void a_conflict_is_a_concurrency_exception_even_from_a_serializable_manual_commit_data_source() throws Exception {
        String schema = DATABASE.newSchema();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(TestDatabase.URL);
        config.setMaximumPoolSize(4);
        config.setAutoCommit(false);
        config.setTransactionIsolation("TRANSACTION_SERIALIZABLE");
        try (HikariDataSource pool = new HikariDataSource(config);
                PostgresExecutor executor = PostgresExecutor.builder()
                        .dataSource(pool)
                        .schema(schema)
                        .open()) {
            executor.write(TestDatabase.events("strict", 1, 1));
            // Many writers race for version 2: exactly one wins, every other one is a conflict.
            int writers = 8;
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(writers);
            java.util.List<java.util.concurrent.Future<String>> outcomes = new java.util.ArrayList<>();
            try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (int w = 0; w < writers; w++) {
                    outcomes.add(threads.submit(() -> {
                        start.await();
                        try {
                            executor.write(TestDatabase.events("strict", 2, 2));
                            return "won";
                        } catch (io.evento.ConcurrencyException e) {
                            return "conflict";
                        }
                    }));
                }
            }
            java.util.List<String> results = new java.util.ArrayList<>();
            for (var outcome : outcomes) {
                results.add(outcome.get());
            }
            assertThat(results).containsOnly("won", "conflict").containsOnlyOnce("won");
            assertThat(executor.readAggregate("tck/Account", "strict", 0, 10)).hasSize(2);
        }
    }

    @Test
    void an_up_to_date_schema_opens_read_only_like_a_hot_standby_and_serves_as_the_read_side_of_rw() {
        String schema = DATABASE.newSchema();
        String readOnlyUrl = TestDatabase.URL + (TestDatabase.URL.contains("?") ? "&" : "?")
                + "options=-c%20default_transaction_read_only%3Don";
        try (PostgresExecutor primary = TestDatabase.open(schema);
                PostgresExecutor standby = PostgresExecutor.builder()
                        .jdbcUrl(readOnlyUrl)
                        .schema(schema)
                        .maximumPoolSize(2)
                        .open()) {
            assertThatThrownBy(() -> standby.write(TestDatabase.events("ro", 1, 1)))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("25006");

            io.evento.composite.Rw rw = io.evento.composite.Rw.of(standby, primary);
            rw.write(TestDatabase.events("rw", 1, 2));
            assertThat(rw.readAggregate("tck/Account", "rw", 0, 10)).hasSize(2);
            assertThat(rw.read(ReadQuery.all(PageRequest.forward(10))).nodes())
                    .extracting(StoredEvent::aggregatorId)
                    .containsExactly("rw", "rw");
        }
    }

    @Test
    void a_data_source_given_to_the_builder_stays_open_after_close() throws SQLException {
        String schema = DATABASE.newSchema();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(TestDatabase.URL);
        config.setMaximumPoolSize(2);
        try (HikariDataSource pool = new HikariDataSource(config)) {
            PostgresExecutor executor =
                    PostgresExecutor.builder().dataSource(pool).schema(schema).open();
            executor.write(TestDatabase.events("kept", 1, 2));

            executor.close();
            executor.close();

            assertThat(pool.isClosed()).isFalse();
            try (Connection c = pool.getConnection()) {
                assertThat(c.isValid(1)).isTrue();
            }
            assertThatThrownBy(() -> executor.lastEvent("tck/Account", "kept"))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("closed");
            try (PostgresExecutor again =
                    PostgresExecutor.builder().dataSource(pool).schema(schema).open()) {
                assertThat(again.readAggregate("tck/Account", "kept", 0, 10)).hasSize(2);
            }
        }
    }

    @Test
    void connections_handed_out_without_auto_commit_are_used_in_auto_commit_and_given_back_as_they_were()
            throws SQLException {
        String schema = DATABASE.newSchema();
        PGSimpleDataSource plain = new PGSimpleDataSource();
        plain.setUrl(TestDatabase.URL);
        HikariConfig config = new HikariConfig();
        config.setDataSource(plain);
        config.setAutoCommit(false);
        config.setMaximumPoolSize(1);
        try (HikariDataSource pool = new HikariDataSource(config);
                PostgresExecutor executor = PostgresExecutor.builder()
                        .dataSource(pool)
                        .schema(schema)
                        .open()) {
            executor.write(TestDatabase.events("auto", 1, 1));

            try (PostgresExecutor other = TestDatabase.open(schema)) {
                assertThat(other.lastEvent("tck/Account", "auto"))
                        .as("committed")
                        .isPresent();
            }
            try (Connection c = pool.getConnection()) {
                assertThat(c.getAutoCommit()).isFalse();
            }
        }
    }

    @Test
    void the_pool_created_from_a_url_is_closed_with_the_executor() {
        PostgresExecutor executor = DATABASE.open();
        executor.write(TestDatabase.events("pooled", 1, 1));

        executor.close();

        assertThatThrownBy(() -> executor.read(ReadQuery.all(PageRequest.forward(1))))
                .isInstanceOf(StoreException.class)
                .satisfies(e -> assertThat(((StoreException) e).isTransient()).isFalse());
        assertThat(executor.toString()).contains("schema evento_pg_");
    }

    @Test
    void a_server_error_is_a_permanent_store_exception_naming_the_operation_and_sqlstate() throws SQLException {
        String schema = DATABASE.newSchema();
        try (PostgresExecutor executor = TestDatabase.open(schema)) {
            TestDatabase.execute("DROP TABLE \"" + schema + "\".evento_snapshot");

            assertThatThrownBy(() -> executor.snapshot("p", "tck/Account", "a"))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("reading snapshot p of tck/Account/a failed")
                    .hasMessageContaining("SQLSTATE 42P01")
                    .satisfies(
                            e -> assertThat(((StoreException) e).isTransient()).isFalse());
        }
    }

    @Test
    void errors_are_classified_by_sqlstate() {
        for (String state : List.of(
                "08000", "08001", "08003", "08006", "57P01", "57P02", "57P03", "53000", "53100", "53200", "53300",
                "40001", "40P01")) {
            assertThat(PostgresErrors.isTransient(new SQLException("x", state)))
                    .as(state)
                    .isTrue();
        }
        for (String state : List.of("23505", "42P01", "42601", "22001", "57014", "XX000", "P0001")) {
            assertThat(PostgresErrors.isTransient(new SQLException("x", state)))
                    .as(state)
                    .isFalse();
        }
        SQLException wrapped = new SQLException("pool", null, new SQLException("server", "57P01"));
        assertThat(PostgresErrors.isTransient(wrapped)).isTrue();
        assertThat(PostgresErrors.isTransient(new SQLTransientConnectionException("timed out")))
                .isTrue();
        assertThat(PostgresErrors.isTransient(new SQLException("no state"))).isFalse();
        assertThat(PostgresErrors.isUniqueViolation(new SQLException("dup", "23505")))
                .isTrue();
        assertThat(PostgresErrors.isUniqueViolation(new SQLException("fk", "23503")))
                .isFalse();
    }

    @Test
    void a_commit_larger_than_one_statement_is_atomic() throws SQLException {
        String schema = DATABASE.newSchema();
        try (PostgresExecutor executor = TestDatabase.open(schema)) {
            // A row at version 1500, planted by hand, makes the second statement of the commit conflict.
            TestDatabase.execute("INSERT INTO \"" + schema + "\".evento_event (id, aggregator_type, aggregator_id,"
                    + " version, name, data, metadata, timestamp_micros)"
                    + " VALUES ('planted', 'tck/Account', 'big', 1500, 'Deposited', '', '', 0)");

            assertThatThrownBy(() -> executor.write(TestDatabase.events("big", 1, 2_500)))
                    .isInstanceOf(ConcurrencyException.class);
            assertThat(executor.readAggregate("tck/Account", "big", 0, 10_000))
                    .extracting(StoredEvent::id)
                    .containsExactly("planted");

            executor.write(TestDatabase.events("other", 1, 2_500));
            assertThat(executor.readAggregate("tck/Account", "other", 0, 10_000))
                    .isEqualTo(TestDatabase.events("other", 1, 2_500));
            assertThat(executor.read(ReadQuery.of(
                                    PageRequest.forward(10_000),
                                    new io.evento.EventFilter.ById("tck/Account", "other")))
                            .nodes())
                    .isEqualTo(TestDatabase.events("other", 1, 2_500));
        }
    }

    @Test
    void an_append_takes_the_routing_key_of_the_aggregate_whatever_the_events_carry() {
        try (PostgresExecutor executor = DATABASE.open()) {
            StoredEvent first = TestDatabase.events("routed", 1, 1).getFirst();
            executor.write(List.of(first.withRoutingKey(Optional.of("eu"))));
            List<StoredEvent> more = TestDatabase.events("routed", 2, 3).stream()
                    .map(e -> e.withRoutingKey(Optional.of("us")))
                    .toList();

            executor.write(more);

            assertThat(executor.readAggregate("tck/Account", "routed", 0, 10))
                    .extracting(e -> e.routingKey().orElseThrow())
                    .containsExactly("eu", "eu", "eu");
        }
    }

    @Test
    void lease_expiry_is_judged_by_the_database_clock() throws SQLException {
        try (PostgresExecutor executor = DATABASE.open();
                Connection c = TestDatabase.connect();
                var statement = c.createStatement();
                var rs = statement.executeQuery("SELECT clock_timestamp()")) {
            assertThat(rs.next()).isTrue();
            Instant before = rs.getObject(1, java.time.OffsetDateTime.class).toInstant();

            Instant expiresAt = executor.acquireLease("sub", "w1", Duration.ofMinutes(3))
                    .orElseThrow()
                    .expiresAt();

            assertThat(expiresAt).isBetween(before.plus(Duration.ofMinutes(3)), before.plus(Duration.ofMinutes(4)));
            assertThat(executor.acquireLease("sub", "w1", Duration.ofDays(365L * 1000)))
                    .get()
                    .satisfies(l -> assertThat(l.expiresAt()).isAfter(before.plus(Duration.ofDays(365L * 99))));
        }
    }
}
