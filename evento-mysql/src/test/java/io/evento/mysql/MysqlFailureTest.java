package io.evento.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.ConcurrencyException;
import io.evento.PageRequest;
import io.evento.StoreException;
import io.evento.spi.ReadQuery;
import io.evento.tck.fixtures.TestDataSource;
import io.evento.tck.fixtures.TestEvents;
import java.net.ServerSocket;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Database failures become {@link StoreException}s that say whether a retry may help. */
class MysqlFailureTest {
    @AfterAll
    static void dropDatabases() {
        TestDatabases.dropAll();
    }

    @Test
    void opening_a_database_that_is_down_fails_quickly_with_a_transient_error() throws Exception {
        int port = closedPort();
        String url = "jdbc:mariadb://127.0.0.1:" + port + "/evento?user=root&password=topsecret&connectTimeout=500";
        long start = System.nanoTime();

        assertThatThrownBy(() -> MysqlExecutor.builder()
                        .jdbcUrl(url)
                        .connectionTimeout(Duration.ofMillis(500))
                        .open())
                .isInstanceOfSatisfying(
                        StoreException.class,
                        e -> assertThat(e.isTransient()).as("transient: %s", e).isTrue())
                .hasMessageContaining("127.0.0.1:" + port)
                .hasMessageNotContaining("topsecret");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void a_database_that_goes_down_after_opening_gives_transient_errors_and_the_store_works_again_after()
            throws Exception {
        String url = TestDatabases.create();
        SwitchableDataSource source = new SwitchableDataSource(url, closedPort());
        try (MysqlExecutor executor = MysqlExecutor.builder()
                .dataSource(source)
                .pollInterval(Duration.ofMillis(20))
                .open()) {
            executor.write(TestEvents.events("t", "1", 1, 1));
            source.down.set(true);

            assertThatThrownBy(() -> executor.write(TestEvents.events("t", "1", 2, 2)))
                    .isInstanceOfSatisfying(
                            StoreException.class,
                            e -> assertThat(e.isTransient()).isTrue())
                    .hasMessageContaining("writing events to t/1");
            assertThatThrownBy(() -> executor.readAggregate("t", "1", 0, 10))
                    .isInstanceOfSatisfying(
                            StoreException.class,
                            e -> assertThat(e.isTransient()).isTrue());

            source.down.set(false);
            executor.write(TestEvents.events("t", "1", 2, 2));
            assertThat(executor.read(ReadQuery.all(PageRequest.forward(10))).nodes())
                    .hasSize(2);
        }
    }

    @Test
    void a_closed_executor_fails_with_a_permanent_error_naming_the_database() {
        String url = TestDatabases.create();
        MysqlExecutor executor = MysqlExecutor.open(url);
        executor.close();
        executor.close();

        assertThatThrownBy(() -> executor.lastEvent("t", "1"))
                .isInstanceOfSatisfying(
                        StoreException.class, e -> assertThat(e.isTransient()).isFalse())
                .hasMessageContaining("closed")
                .hasMessageContaining(TestDatabases.database(url));
    }

    @Test
    void errors_are_classified_by_vendor_code_and_sqlstate_never_by_message() {
        assertThat(MysqlErrors.isDuplicateKey(new SQLException("whatever", "23000", 1062)))
                .isTrue();
        assertThat(MysqlErrors.isDuplicateKey(new SQLException("Duplicate entry", "23000", 1452)))
                .isFalse();
        assertThat(MysqlErrors.isDuplicateKey(new BatchUpdateException(
                        "batch", "HY000", 0, new int[0], new SQLException("x", "23000", 1062))))
                .isTrue();

        assertThat(MysqlErrors.isTransient(new SQLException("x", "HY000", 1205)))
                .as("lock wait")
                .isTrue();
        assertThat(MysqlErrors.isTransient(new SQLException("x", "40001", 1213)))
                .as("deadlock")
                .isTrue();
        assertThat(MysqlErrors.isTransient(new SQLException("x", "08S01", 0)))
                .as("link failure")
                .isTrue();
        assertThat(MysqlErrors.isTransient(new SQLException("x", "HY000", 2006)))
                .as("server gone")
                .isTrue();
        assertThat(MysqlErrors.isTransient(new SQLException("x", "HY000", 2013)))
                .as("lost")
                .isTrue();
        assertThat(MysqlErrors.isTransient(new SQLTransientConnectionException("pool timeout")))
                .isTrue();
        assertThat(MysqlErrors.isTransient(new SQLException("Lock wait timeout exceeded", "42S02", 1146)))
                .as("missing table, whatever the message says")
                .isFalse();
        assertThat(MysqlErrors.isTransient(new SQLException("x", "23000", 1062)))
                .isFalse();

        StoreException failure = MysqlErrors.failure("reading", new SQLException("gone", "08S01", 2013));
        assertThat(failure.isTransient()).isTrue();
        assertThat(failure).hasMessageStartingWith("reading failed (transient, a retry may succeed): gone");
    }

    @Test
    void a_conflict_carries_the_aggregate_and_the_expected_version_and_the_vendor_error() {
        String url = TestDatabases.create();
        try (MysqlExecutor executor = MysqlExecutor.open(url)) {
            executor.write(TestEvents.events("t", "1", 1, 2));

            assertThatThrownBy(() -> executor.write(TestEvents.events("t", "1", 2, 2)))
                    .isInstanceOfSatisfying(ConcurrencyException.class, e -> {
                        assertThat(e.aggregatorType()).isEqualTo("t");
                        assertThat(e.aggregatorId()).isEqualTo("1");
                        assertThat(e.expectedVersion()).isEqualTo(1);
                        assertThat(e.getCause())
                                .isInstanceOfSatisfying(
                                        SQLException.class,
                                        s -> assertThat(s.getErrorCode()).isEqualTo(1062));
                    });
            assertThatThrownBy(() -> executor.write(TestEvents.events("t", "1", 4, 4)))
                    .isInstanceOfSatisfying(
                            ConcurrencyException.class,
                            e -> assertThat(e.expectedVersion()).isEqualTo(3));
            assertThat(executor.readAggregate("t", "1", 0, 10)).hasSize(2);
        }
    }

    @Test
    void a_duplicate_key_is_a_conflict_only_when_the_next_version_exists_else_a_transient_failure() throws Exception {
        String url = TestDatabases.create();
        try (MysqlExecutor executor = MysqlExecutor.open(url)) {
            executor.write(TestEvents.events("t", "1", 1, 1));
        }
        try (Connection c = TestDatabases.connect(url)) {
            // A real duplicate of the primary key: what an insert gets whose position was sealed.
            SQLException primary = null;
            try (var insert = c.createStatement()) {
                insert.executeUpdate("INSERT INTO evento_event (position, id, aggregator_type, aggregator_id,"
                        + " version, commit_end, name, data, metadata, timestamp)"
                        + " SELECT position, 'x', 't', 'other', 1, 1, 'E', '', '', 0 FROM evento_event");
            } catch (SQLException e) {
                primary = e;
            }
            assertThat((Throwable) primary).isNotNull();

            assertThat((Throwable) MysqlExecutor.duplicate(c, "t", "1", 0, primary))
                    .isInstanceOfSatisfying(
                            ConcurrencyException.class,
                            e -> assertThat(e.expectedVersion()).isZero());
            assertThat((Throwable) MysqlExecutor.duplicate(c, "t", "2", 0, primary))
                    .isInstanceOfSatisfying(
                            StoreException.class,
                            e -> assertThat(e.isTransient()).isTrue())
                    .isNotInstanceOf(ConcurrencyException.class)
                    .hasMessageContaining("sealed")
                    .hasCause(primary);
        }
    }

    private static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** A data source that connects to the real database, or to a closed port while "down". */
    private static final class SwitchableDataSource extends TestDataSource {
        final AtomicBoolean down = new AtomicBoolean();
        private final String url;
        private final String downUrl;

        SwitchableDataSource(String url, int closedPort) {
            this.url = url;
            this.downUrl = "jdbc:mariadb://127.0.0.1:" + closedPort + "/x?connectTimeout=500";
        }

        @Override
        public Connection getConnection() throws SQLException {
            return TestDatabases.connect(down.get() ? downUrl : url);
        }
    }
}
