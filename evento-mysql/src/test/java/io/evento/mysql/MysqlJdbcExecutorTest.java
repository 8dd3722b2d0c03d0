package io.evento.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.Edge;
import io.evento.LeaseLostException;
import io.evento.PageRequest;
import io.evento.StoreException;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.fixtures.TestDataSource;
import io.evento.tck.fixtures.TestEvents;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLSyntaxErrorException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The executor as a {@link io.evento.spi.JdbcExecutor}: an application's work and a subscription's
 * checkpoint or parked event commit together or not at all, and a lost lease stops the transaction.
 * One database for the class; every test uses subscription keys and read-model ids of its own.
 */
class MysqlJdbcExecutorTest {
    private static final Duration TTL = Duration.ofMinutes(5);
    private static final String INSERT_NOTE = "INSERT INTO read_model (id, note) VALUES (?, ?)";

    private static String url;
    private static MysqlExecutor executor;
    private static List<Edge<StoredEvent>> edges;

    @BeforeAll
    static void openStore() throws SQLException {
        url = TestDatabases.createMigrated();
        executor = MysqlExecutor.builder().jdbcUrl(url).maximumPoolSize(4).open();
        TestDatabases.execute(
                url, "CREATE TABLE read_model (id VARCHAR(64) NOT NULL PRIMARY KEY, note VARCHAR(200) NOT NULL)");
        executor.write(TestEvents.events("t", "1", 1, 3));
        edges = executor.read(ReadQuery.all(PageRequest.forward(10))).edges();
        assertThat(edges).hasSize(3);
    }

    @AfterAll
    static void closeStore() {
        if (executor != null) {
            executor.close();
        }
        TestDatabases.dropAll();
    }

    @Test
    void the_work_and_the_checkpoint_commit_together_and_neither_is_visible_before() throws Exception {
        Lease lease = executor.acquireLease("together", "w1", TTL).orElseThrow();
        executor.acknowledge(lease, cursor(0));

        String result = executor.inTransaction(c -> {
            note(c, "together", "handled event 2");
            executor.acknowledge(c, lease, cursor(1));
            // Another connection sees neither until the commit.
            assertThat(notes("together")).isZero();
            assertThat(executor.subscriberCursor("together")).contains(cursor(0));
            return "done";
        });

        assertThat(result).isEqualTo("done");
        assertThat(notes("together")).isEqualTo(1);
        assertThat(executor.subscriberCursor("together")).contains(cursor(1));
        executor.acknowledge(lease, cursor(2));
        assertThat(executor.subscriberCursor("together")).contains(cursor(2));
    }

    @Test
    void an_exception_in_the_work_rolls_back_its_rows_and_the_checkpoint_and_is_rethrown_unchanged() throws Exception {
        Lease lease = executor.acquireLease("failing", "w1", TTL).orElseThrow();
        executor.acknowledge(lease, cursor(0));
        IllegalStateException failure = new IllegalStateException("the handler failed");

        assertThatThrownBy(() -> executor.inTransaction(c -> {
                    note(c, "failing", "half done");
                    executor.acknowledge(c, lease, cursor(1));
                    throw failure;
                }))
                .isSameAs(failure);

        assertThat(notes("failing")).isZero();
        assertThat(executor.subscriberCursor("failing")).contains(cursor(0));
        assertThat(executor.subscriber("failing").orElseThrow().workerId())
                .as("the lease is still held")
                .contains("w1");
        executor.acknowledge(lease, cursor(1));
        assertThat(executor.subscriberCursor("failing")).contains(cursor(1));
    }

    @Test
    void an_sql_failure_in_the_work_rolls_back_and_becomes_a_permanent_store_exception() throws Exception {
        Lease lease = executor.acquireLease("bad-sql", "w1", TTL).orElseThrow();

        assertThatThrownBy(() -> executor.inTransaction(c -> {
                    note(c, "bad-sql", "before the error");
                    executor.acknowledge(c, lease, cursor(1));
                    try (PreparedStatement broken = c.prepareStatement("SELECT no_such_column FROM read_model")) {
                        broken.executeQuery();
                    }
                    return null;
                }))
                .isInstanceOfSatisfying(
                        StoreException.class, e -> assertThat(e.isTransient()).isFalse())
                .hasCauseInstanceOf(SQLSyntaxErrorException.class);

        assertThat(notes("bad-sql")).isZero();
        assertThat(executor.subscriberCursor("bad-sql")).isEmpty();
    }

    @Test
    void a_lease_lost_before_the_transaction_stops_it_and_the_work_is_rolled_back() throws Exception {
        Lease lease = executor.acquireLease("revoked", "w1", TTL).orElseThrow();
        executor.acknowledge(lease, cursor(0));
        executor.resetSubscriber("revoked", Optional.of(cursor(0)));

        assertThatThrownBy(() -> executor.inTransaction(c -> {
                    note(c, "revoked", "handled by a worker that lost its lease");
                    executor.acknowledge(c, lease, cursor(2));
                    return null;
                }))
                .isInstanceOfSatisfying(
                        LeaseLostException.class,
                        e -> assertThat(e.getMessage()).contains("revoked"));

        assertThat(notes("revoked")).isZero();
        assertThat(executor.subscriberCursor("revoked")).contains(cursor(0));
        Lease successor = executor.acquireLease("revoked", "w2", TTL).orElseThrow();
        assertThat(successor.token()).isGreaterThan(lease.token());
    }

    @Test
    void a_lease_taken_over_by_another_worker_cannot_park_in_a_transaction() throws Exception {
        Lease lease = executor.acquireLease("taken-over", "w1", TTL).orElseThrow();
        executor.releaseLease(lease);
        executor.acquireLease("taken-over", "w2", TTL).orElseThrow();

        assertThatThrownBy(() -> executor.inTransaction(c -> {
                    note(c, "taken-over", "handled by the former holder");
                    executor.park(c, lease, parked("taken-over", 1, "gave up"));
                    return null;
                }))
                .isInstanceOf(LeaseLostException.class);

        assertThat(notes("taken-over")).isZero();
        assertThat(executor.parked("taken-over", 10)).isEmpty();
    }

    @Test
    void an_event_parked_in_a_transaction_is_listed_only_after_the_commit() throws Exception {
        Lease lease = executor.acquireLease("parking", "w1", TTL).orElseThrow();
        String error = "failed: ünïcødé \" ' \\ 🙂";

        executor.inTransaction(c -> {
            executor.park(c, lease, parked("parking", 2, error));
            executor.acknowledge(c, lease, cursor(1));
            assertThat(executor.parked("parking", 10)).isEmpty();
            assertThat(executor.subscriberCursor("parking")).isEmpty();
            return null;
        });

        assertThat(executor.parked("parking", 10)).singleElement().satisfies(p -> {
            assertThat(p.eventId()).isEqualTo(edges.get(1).node().id());
            assertThat(p.version()).isEqualTo(2);
            assertThat(p.error()).isEqualTo(error);
        });
        assertThat(executor.subscriberCursor("parking")).contains(cursor(1));
    }

    @Test
    void an_event_parked_in_a_transaction_that_rolls_back_is_not_stored() {
        Lease lease = executor.acquireLease("parking-undone", "w1", TTL).orElseThrow();

        assertThatThrownBy(() -> executor.inTransaction(c -> {
                    executor.park(c, lease, parked("parking-undone", 1, "gave up"));
                    throw new IllegalStateException("changed my mind");
                }))
                .hasMessage("changed my mind");

        assertThat(executor.parked("parking-undone", 10)).isEmpty();
        executor.park(lease, parked("parking-undone", 1, "gave up"));
        assertThat(executor.parked("parking-undone", 10)).hasSize(1);
    }

    @Test
    void the_transactional_variants_refuse_a_connection_in_auto_commit_mode() throws Exception {
        Lease lease = executor.acquireLease("auto-commit", "w1", TTL).orElseThrow();
        try (Connection c = TestDatabases.connect(url)) {
            assertThat(c.getAutoCommit()).isTrue();

            assertThatThrownBy(() -> executor.acknowledge(c, lease, cursor(0)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("auto-commit");
            assertThatThrownBy(() -> executor.park(c, lease, parked("auto-commit", 1, "x")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("auto-commit");
        }
        assertThat(executor.subscriberCursor("auto-commit")).isEmpty();
        assertThat(executor.parked("auto-commit", 10)).isEmpty();
    }

    @Test
    void a_park_in_a_transaction_is_validated_before_it_touches_the_database() {
        Lease lease = executor.acquireLease("validated", "w1", TTL).orElseThrow();

        assertThatThrownBy(() -> executor.inTransaction(c -> {
                    executor.park(c, lease, parked("other-key", 1, "x"));
                    return null;
                }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("other-key");
        StoredEvent e = edges.getFirst().node();
        ParkedEvent ancient = new ParkedEvent(
                "validated",
                e.id(),
                e.aggregatorType(),
                e.aggregatorId(),
                1,
                "x",
                1,
                Instant.parse("0999-12-31T23:59:59Z"));
        assertThatThrownBy(() -> executor.park(lease, ancient))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("parkedAt");
        assertThat(executor.parked("validated", 10)).isEmpty();
    }

    @Test
    void a_data_source_whose_connections_are_not_in_auto_commit_mode_commits_and_gets_them_back_as_they_were()
            throws Exception {
        RecordingDataSource source = new RecordingDataSource(url);
        try (MysqlExecutor own = MysqlExecutor.builder().dataSource(source).open()) {
            own.write(TestEvents.events("t", "user-source", 1, 2));
            List<Edge<StoredEvent>> written = own.read(ReadQuery.all(PageRequest.forward(10))).edges().stream()
                    .filter(edge -> edge.node().aggregatorId().equals("user-source"))
                    .toList();
            assertThat(written).hasSize(2);
            Lease lease = own.acquireLease("user-source", "w1", TTL).orElseThrow();
            AtomicReference<Connection> used = new AtomicReference<>();

            own.inTransaction(c -> {
                used.set(c);
                note(c, "user-source", "handled");
                own.acknowledge(c, lease, written.getFirst().cursor());
                own.park(c, lease, parked("user-source", 1, "gave up"));
                return null;
            });

            assertThat(source.returned.get(used.get()))
                    .as("the connection's auto-commit mode and isolation level when it was closed")
                    .isEqualTo(new State(false, Connection.TRANSACTION_REPEATABLE_READ));
            assertThat(notes("user-source")).isEqualTo(1);
            assertThat(own.subscriberCursor("user-source"))
                    .contains(written.getFirst().cursor());
            assertThat(own.parked("user-source", 10)).hasSize(1);

            assertThatThrownBy(() -> own.inTransaction(c -> {
                        note(c, "user-source-undone", "half done");
                        own.acknowledge(c, lease, written.getLast().cursor());
                        throw new IllegalStateException("undo");
                    }))
                    .hasMessage("undo");
            assertThat(notes("user-source-undone")).isZero();
            assertThat(own.subscriberCursor("user-source"))
                    .contains(written.getFirst().cursor());
        }
    }

    @Test
    void a_listener_woken_by_a_write_reads_the_new_event_at_once() throws Exception {
        CountDownLatch woken = new CountDownLatch(1);
        try (var registration = executor.onCommit(woken::countDown)) {
            executor.write(TestEvents.events("t", "wake", 1, 1));

            assertThat(woken.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(executor.read(ReadQuery.all(PageRequest.backward(1))).edges())
                    .singleElement()
                    .satisfies(edge -> assertThat(edge.node().aggregatorId()).isEqualTo("wake"));
        }
    }

    private static String cursor(int index) {
        return edges.get(index).cursor();
    }

    private static ParkedEvent parked(String key, int version, String error) {
        StoredEvent e = edges.get(version - 1).node();
        return new ParkedEvent(key, e.id(), e.aggregatorType(), e.aggregatorId(), e.version(), error, 3, Instant.now());
    }

    private static void note(Connection c, String id, String note) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(INSERT_NOTE)) {
            insert.setString(1, id);
            insert.setString(2, note);
            insert.executeUpdate();
        }
    }

    /** Committed read-model rows of an id, seen from a connection of its own. */
    private static long notes(String id) throws SQLException {
        return TestDatabases.count(url, "SELECT COUNT(*) FROM read_model WHERE id = '" + id + "'");
    }

    /** A connection's settings. */
    private record State(boolean autoCommit, int isolation) {}

    /**
     * A data source handing out new connections with auto-commit off at REPEATABLE READ (as some
     * applications configure their pools), recording their settings when they are closed.
     */
    private static final class RecordingDataSource extends TestDataSource {
        /** The settings of each connection handed out, when it was closed. */
        final Map<Connection, State> returned = Collections.synchronizedMap(new IdentityHashMap<>());

        private final String url;

        RecordingDataSource(String url) {
            this.url = url;
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection real = TestDatabases.connect(url);
            real.setAutoCommit(false);
            real.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            return (Connection) Proxy.newProxyInstance(
                    Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                        if (method.getName().equals("close") && method.getParameterCount() == 0) {
                            returned.put(
                                    (Connection) proxy,
                                    new State(real.getAutoCommit(), real.getTransactionIsolation()));
                            // A pool would roll back whatever its user left open; so does this one.
                            real.rollback();
                        }
                        try {
                            return method.invoke(real, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }
}
