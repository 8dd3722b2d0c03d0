package io.evento.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.evento.LeaseLostException;
import io.evento.PageRequest;
import io.evento.StoreException;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.fixtures.TestDataSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The transactions the executor shares with the application: a read model and a checkpoint move
 * together or not at all.
 */
class PostgresJdbcExecutorTest {
    private static final TestDatabase DATABASE = new TestDatabase("evento_jdbc");
    private static final Duration TTL = Duration.ofMinutes(5);

    private String schema;
    private PostgresExecutor executor;
    private List<String> cursors;

    @AfterAll
    static void dropSchemas() throws SQLException {
        DATABASE.dropSchemas();
    }

    @BeforeEach
    void openStoreWithAReadModel() throws SQLException {
        schema = DATABASE.newSchema();
        executor = TestDatabase.open(schema);
        executor.write(TestDatabase.events("acc", 1, 3));
        cursors = new ArrayList<>();
        executor.read(ReadQuery.all(PageRequest.forward(10))).edges().forEach(e -> cursors.add(e.cursor()));
        TestDatabase.execute("CREATE TABLE \"" + schema + "\".read_model (id text PRIMARY KEY)");
    }

    @AfterEach
    void close() {
        executor.close();
    }

    @Test
    void the_work_and_the_checkpoint_commit_together() throws SQLException {
        Lease lease = executor.acquireLease("projection", "w1", TTL).orElseThrow();

        int result = executor.inTransaction(c -> {
            insertReadModelRow(c, "a");
            executor.acknowledge(c, lease, cursors.get(1));
            return 42;
        });

        assertThat(result).isEqualTo(42);
        assertThat(readModel()).containsExactly("a");
        assertThat(executor.subscriberCursor("projection")).contains(cursors.get(1));
    }

    @Test
    void the_checkpoint_moves_only_when_the_transaction_commits() throws Exception {
        Lease lease = executor.acquireLease("projection", "w1", TTL).orElseThrow();
        CountDownLatch acknowledged = new CountDownLatch(1);
        CountDownLatch seen = new CountDownLatch(1);

        CompletableFuture<Void> transaction = CompletableFuture.runAsync(() -> executor.inTransaction(c -> {
            insertReadModelRow(c, "a");
            executor.acknowledge(c, lease, cursors.get(2));
            acknowledged.countDown();
            awaitLatch(seen);
            return null;
        }));
        try {
            awaitLatch(acknowledged);
            assertThat(executor.subscriberCursor("projection")).isEmpty();
            assertThat(readModel()).isEmpty();
        } finally {
            seen.countDown();
        }
        transaction.get(30, TimeUnit.SECONDS);

        assertThat(executor.subscriberCursor("projection")).contains(cursors.get(2));
        assertThat(readModel()).containsExactly("a");
    }

    @Test
    void a_runtime_exception_in_the_work_rolls_back_its_rows_and_the_checkpoint_and_is_rethrown_as_it_is()
            throws SQLException {
        Lease lease = executor.acquireLease("projection", "w1", TTL).orElseThrow();
        executor.acknowledge(lease, cursors.get(0));
        IllegalStateException failure = new IllegalStateException("the handler failed");

        assertThatThrownBy(() -> executor.inTransaction(c -> {
                    insertReadModelRow(c, "a");
                    executor.acknowledge(c, lease, cursors.get(2));
                    throw failure;
                }))
                .isSameAs(failure);

        assertThat(readModel()).isEmpty();
        assertThat(executor.subscriberCursor("projection")).contains(cursors.get(0));
        executor.acknowledge(lease, cursors.get(1));
        assertThat(executor.subscriberCursor("projection"))
                .as("the lease still works after the rollback")
                .contains(cursors.get(1));
    }

    @Test
    void an_sql_exception_in_the_work_rolls_back_and_is_a_store_exception_with_its_sqlstate() throws SQLException {
        Lease lease = executor.acquireLease("projection", "w1", TTL).orElseThrow();

        assertThatThrownBy(() -> executor.inTransaction(c -> {
                    executor.acknowledge(c, lease, cursors.get(2));
                    insertReadModelRow(c, "a");
                    insertReadModelRow(c, "a");
                    return null;
                }))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("SQLSTATE 23505")
                .hasCauseInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((StoreException) e).isTransient()).isFalse());

        assertThat(readModel()).isEmpty();
        assertThat(executor.subscriberCursor("projection")).isEmpty();
    }

    @Test
    void a_lease_lost_before_the_transaction_acknowledges_throws_and_leaves_nothing_behind() throws SQLException {
        Lease lease = executor.acquireLease("projection", "w1", TTL).orElseThrow();
        executor.resetSubscriber("projection", Optional.of(cursors.get(0)));

        assertThatThrownBy(() -> executor.inTransaction(c -> {
                    insertReadModelRow(c, "a");
                    executor.acknowledge(c, lease, cursors.get(2));
                    return null;
                }))
                .isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> executor.inTransaction(c -> {
                    insertReadModelRow(c, "b");
                    executor.park(c, lease, parked("projection", 2));
                    return null;
                }))
                .isInstanceOf(LeaseLostException.class);

        assertThat(readModel()).isEmpty();
        assertThat(executor.subscriberCursor("projection")).contains(cursors.get(0));
        assertThat(executor.parked("projection", 10)).isEmpty();
    }

    @Test
    void a_reset_made_while_a_transaction_holds_the_checkpoint_waits_for_it_and_wins() throws Exception {
        Lease lease = executor.acquireLease("projection", "w1", TTL).orElseThrow();
        CountDownLatch acknowledged = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        // Threads of their own: the common pool may have a single thread, which the transaction holds.
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> transaction = threads.submit(() -> executor.inTransaction(c -> {
                insertReadModelRow(c, "a");
                executor.acknowledge(c, lease, cursors.get(2));
                acknowledged.countDown();
                awaitLatch(finish);
                return null;
            }));
            awaitLatch(acknowledged);

            Future<?> reset = threads.submit(() -> executor.resetSubscriber("projection", Optional.of(cursors.get(0))));
            try {
                await().atMost(Duration.ofSeconds(30)).until(this::someoneWaitsForARowLock);
                assertThat(reset).isNotDone();
            } finally {
                finish.countDown();
            }
            transaction.get(30, TimeUnit.SECONDS);
            reset.get(30, TimeUnit.SECONDS);
        }

        assertThat(readModel()).containsExactly("a");
        assertThat(executor.subscriberCursor("projection")).contains(cursors.get(0));
        assertThatThrownBy(() -> executor.acknowledge(lease, cursors.get(2))).isInstanceOf(LeaseLostException.class);
    }

    @Test
    void an_event_parked_in_a_transaction_is_listed_only_once_it_commits() throws Exception {
        Lease lease = executor.acquireLease("projection", "w1", TTL).orElseThrow();
        CountDownLatch parked = new CountDownLatch(1);
        CountDownLatch seen = new CountDownLatch(1);

        CompletableFuture<Void> transaction = CompletableFuture.runAsync(() -> executor.inTransaction(c -> {
            executor.park(c, lease, parked("projection", 2));
            executor.acknowledge(c, lease, cursors.get(1));
            parked.countDown();
            awaitLatch(seen);
            return null;
        }));
        try {
            awaitLatch(parked);
            assertThat(executor.parked("projection", 10)).isEmpty();
        } finally {
            seen.countDown();
        }
        transaction.get(30, TimeUnit.SECONDS);

        assertThat(executor.parked("projection", 10))
                .extracting(ParkedEvent::eventId)
                .containsExactly(event(2).id());
        assertThat(executor.subscriberCursor("projection")).contains(cursors.get(1));

        assertThatThrownBy(() -> executor.inTransaction(c -> {
                    executor.park(c, lease, parked("projection", 3));
                    throw new IllegalStateException("rolled back");
                }))
                .hasMessage("rolled back");
        assertThat(executor.parked("projection", 10))
                .extracting(ParkedEvent::eventId)
                .containsExactly(event(2).id());
    }

    @Test
    void parking_in_a_transaction_checks_its_arguments_like_parking_alone() {
        Lease lease = executor.acquireLease("projection", "w1", TTL).orElseThrow();

        assertThatThrownBy(() -> executor.inTransaction(c -> {
                    executor.park(c, lease, parked("elsewhere", 1));
                    return null;
                }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("elsewhere");
        assertThatThrownBy(() -> executor.inTransaction(c -> {
                    executor.acknowledge(c, lease, "x".repeat(io.evento.Limits.CURSOR_MAX_LENGTH + 1));
                    return null;
                }))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(executor.parked("projection", 10)).isEmpty();
    }

    @Test
    void a_closed_executor_runs_no_transaction() {
        executor.close();

        assertThatThrownBy(() -> executor.inTransaction(c -> 1))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void
            a_data_source_handing_out_serializable_manual_commit_connections_gets_read_committed_and_them_back_as_they_were()
                    throws Exception {
        String otherSchema = DATABASE.newSchema();
        try (Connection physical = TestDatabase.connect()) {
            physical.setAutoCommit(false);
            physical.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            DataSource single = singleConnection(physical);
            try (PostgresExecutor store = PostgresExecutor.builder()
                    .dataSource(single)
                    .schema(otherSchema)
                    .open()) {
                TestDatabase.execute("CREATE TABLE \"" + otherSchema + "\".read_model (id text PRIMARY KEY)");
                Lease lease = store.acquireLease("projection", "w1", TTL).orElseThrow();
                String cursor;
                // Written by another executor: a write of this one would start its notifier, whose
                // thread would share the single connection with the test's.
                try (PostgresExecutor writer = TestDatabase.open(otherSchema)) {
                    writer.write(TestDatabase.events("acc", 1, 1));
                    cursor = writer.read(ReadQuery.all(PageRequest.forward(1)))
                            .pageInfo()
                            .endCursor()
                            .orElseThrow();
                }

                String isolation = store.inTransaction(c -> {
                    assertThat(c.getAutoCommit()).isFalse();
                    try (PreparedStatement insert =
                            c.prepareStatement("INSERT INTO \"" + otherSchema + "\".read_model VALUES ('a')")) {
                        insert.executeUpdate();
                    }
                    store.acknowledge(c, lease, cursor);
                    try (Statement statement = c.createStatement();
                            ResultSet rs = statement.executeQuery("SHOW transaction_isolation")) {
                        rs.next();
                        return rs.getString(1);
                    }
                });
                assertThatThrownBy(() -> store.inTransaction(c -> {
                            try (PreparedStatement insert =
                                    c.prepareStatement("INSERT INTO \"" + otherSchema + "\".read_model VALUES ('b')")) {
                                insert.executeUpdate();
                            }
                            throw new IllegalStateException("rolled back");
                        }))
                        .hasMessage("rolled back");

                assertThat(isolation).isEqualTo("read committed");
                assertThat(physical.getAutoCommit()).isFalse();
                assertThat(physical.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_SERIALIZABLE);
                assertThat(store.subscriberCursor("projection")).contains(cursor);
                try (Connection other = TestDatabase.connect();
                        Statement statement = other.createStatement();
                        ResultSet rs = statement.executeQuery(
                                "SELECT string_agg(id, ',') FROM \"" + otherSchema + "\".read_model")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("a");
                }
            }
        }
    }

    @Test
    void a_manual_commit_pool_works_as_well() throws SQLException {
        String otherSchema = DATABASE.newSchema();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(TestDatabase.URL);
        config.setMaximumPoolSize(2);
        config.setAutoCommit(false);
        config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
        try (HikariDataSource pool = new HikariDataSource(config);
                PostgresExecutor store = PostgresExecutor.builder()
                        .dataSource(pool)
                        .schema(otherSchema)
                        .open()) {
            Lease lease = store.acquireLease("projection", "w1", TTL).orElseThrow();
            store.write(TestDatabase.events("acc", 1, 1));
            String cursor = store.read(ReadQuery.all(PageRequest.forward(1)))
                    .pageInfo()
                    .endCursor()
                    .orElseThrow();

            store.inTransaction(c -> {
                store.acknowledge(c, lease, cursor);
                return null;
            });

            assertThat(store.subscriberCursor("projection")).contains(cursor);
            // Every connection goes back to the pool; the notifier borrows one briefly after each
            // write to announce the commit, so this is awaited rather than read once.
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> pool.getHikariPoolMXBean().getActiveConnections() == 0);
        }
    }

    private boolean someoneWaitsForARowLock() throws SQLException {
        try (Connection c = TestDatabase.connect();
                Statement statement = c.createStatement();
                ResultSet rs = statement.executeQuery("SELECT count(*) FROM pg_stat_activity"
                        + " WHERE wait_event_type = 'Lock' AND query LIKE '%evento_subscriber%'"
                        + " AND query LIKE 'INSERT%' AND datname = current_database()"
                        + " AND query LIKE '%\"" + schema + "\"%'")) {
            rs.next();
            return rs.getInt(1) > 0;
        }
    }

    private void insertReadModelRow(Connection c, String id) throws SQLException {
        try (PreparedStatement insert =
                c.prepareStatement("INSERT INTO \"" + schema + "\".read_model (id) VALUES (?)")) {
            insert.setString(1, id);
            insert.executeUpdate();
        }
    }

    private List<String> readModel() throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Connection c = TestDatabase.connect();
                Statement statement = c.createStatement();
                ResultSet rs = statement.executeQuery("SELECT id FROM \"" + schema + "\".read_model ORDER BY id")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    private StoredEvent event(int version) {
        return executor.readAggregate("tck/Account", "acc", version - 1, 1).getFirst();
    }

    private ParkedEvent parked(String key, int version) {
        StoredEvent e = event(version);
        return new ParkedEvent(key, e.id(), e.aggregatorType(), e.aggregatorId(), version, "boom", 3, Instant.now());
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the other side never came");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * A data source handing out one physical connection again and again, never closing it, so the
     * test sees the state the executor gives it back in (a pool would reset it itself).
     */
    private static DataSource singleConnection(Connection physical) {
        Connection handle = (Connection) Proxy.newProxyInstance(
                PostgresJdbcExecutorTest.class.getClassLoader(),
                new Class<?>[] {Connection.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "close" -> null;
                    case "isClosed" -> false;
                    default -> {
                        try {
                            yield method.invoke(physical, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    }
                });
        return TestDataSource.of(() -> handle);
    }
}
