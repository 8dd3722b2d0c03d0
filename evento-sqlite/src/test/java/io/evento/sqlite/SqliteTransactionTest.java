package io.evento.sqlite;

import static io.evento.tck.fixtures.TestEvents.events;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.evento.Edge;
import io.evento.LeaseLostException;
import io.evento.PageRequest;
import io.evento.StoreException;
import io.evento.spi.Executor;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.fixtures.MutableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SqliteExecutor} as a {@link io.evento.spi.JdbcExecutor}: work sharing a transaction with a checkpoint. */
class SqliteTransactionTest {
    private static final Duration TTL = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private Path file;
    private MutableClock clock;
    private SqliteExecutor executor;
    private List<String> cursors;
    private List<StoredEvent> stored;

    @BeforeEach
    void openWithAReadModelTable() throws SQLException {
        file = dir.resolve("events.db");
        clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
        executor = SqliteExecutor.builder(file).clock(clock).open();
        TestStore.execute(file, "CREATE TABLE balance (account TEXT PRIMARY KEY, amount INTEGER NOT NULL) STRICT");
        executor.write(events("t", "1", 1, 3));
        List<Edge<StoredEvent>> edges =
                executor.read(ReadQuery.all(PageRequest.forward(3))).edges();
        cursors = edges.stream().map(Edge::cursor).toList();
        stored = edges.stream().map(Edge::node).toList();
    }

    @AfterEach
    void close() {
        executor.close();
    }

    @Test
    void the_work_and_the_acknowledgement_commit_together_and_are_invisible_until_then() throws Exception {
        Lease lease = executor.acquireLease("projector", "w1", TTL).orElseThrow();

        String result = executor.inTransaction(tx -> {
            insertBalance(tx, "a", 10);
            executor.acknowledge(tx, lease, cursors.get(0));

            assertThat(TestStore.count(file, "SELECT count(*) FROM balance"))
                    .as("the read model, seen from another connection before the commit")
                    .isZero();
            assertThat(executor.subscriberCursor("projector"))
                    .as("the checkpoint, seen by the executor's readers before the commit")
                    .isEmpty();
            return "done";
        });

        assertThat(result).isEqualTo("done");
        assertThat(TestStore.count(file, "SELECT amount FROM balance WHERE account = 'a'"))
                .isEqualTo(10);
        assertThat(executor.subscriberCursor("projector")).contains(cursors.get(0));
    }

    @Test
    void an_exception_thrown_by_the_work_is_rethrown_unchanged_and_rolls_back_both() throws Exception {
        Lease lease = executor.acquireLease("projector", "w1", TTL).orElseThrow();
        executor.acknowledge(lease, cursors.get(0));
        IllegalStateException boom = new IllegalStateException("boom");

        assertThatThrownBy(() -> executor.inTransaction(tx -> {
                    insertBalance(tx, "a", 10);
                    executor.acknowledge(tx, lease, cursors.get(1));
                    throw boom;
                }))
                .isSameAs(boom);

        assertThat(TestStore.count(file, "SELECT count(*) FROM balance")).isZero();
        assertThat(executor.subscriberCursor("projector")).contains(cursors.get(0));
    }

    @Test
    void an_sql_exception_of_the_work_rolls_back_and_becomes_a_store_exception() throws Exception {
        Lease lease = executor.acquireLease("projector", "w1", TTL).orElseThrow();

        assertThatThrownBy(() -> executor.inTransaction(tx -> {
                    executor.acknowledge(tx, lease, cursors.get(1));
                    insertBalance(tx, "a", 10);
                    insertBalance(tx, "a", 20);
                    return null;
                }))
                .isInstanceOfSatisfying(
                        StoreException.class, e -> assertThat(e.isTransient()).isFalse())
                .hasCauseInstanceOf(SQLException.class)
                .hasMessageContaining("UNIQUE");

        assertThat(TestStore.count(file, "SELECT count(*) FROM balance")).isZero();
        assertThat(executor.subscriberCursor("projector")).isEmpty();
        executor.acknowledge(lease, cursors.get(2));
        assertThat(executor.subscriberCursor("projector")).contains(cursors.get(2));
    }

    @Test
    void a_lease_lost_before_the_transaction_fails_the_acknowledgement_and_the_work_rolls_back() throws Exception {
        Lease lapsed = executor.acquireLease("projector", "w1", TTL).orElseThrow();
        executor.acknowledge(lapsed, cursors.get(0));
        clock.advance(TTL);
        Lease taken = executor.acquireLease("projector", "w2", TTL).orElseThrow();

        assertThatThrownBy(() -> executor.inTransaction(tx -> {
                    insertBalance(tx, "a", 10);
                    executor.acknowledge(tx, lapsed, cursors.get(1));
                    return null;
                }))
                .isInstanceOf(LeaseLostException.class);

        assertThat(TestStore.count(file, "SELECT count(*) FROM balance")).isZero();
        assertThat(executor.subscriberCursor("projector")).contains(cursors.get(0));
        assertThat(executor.subscriber("projector").orElseThrow().token()).isEqualTo(taken.token());
    }

    @Test
    void a_lease_revoked_by_a_reset_fences_off_acknowledging_and_parking_in_a_transaction() throws Exception {
        Lease lease = executor.acquireLease("projector", "w1", TTL).orElseThrow();
        executor.resetSubscriber("projector", Optional.of(cursors.get(0)));

        assertThatThrownBy(() -> executor.inTransaction(tx -> {
                    executor.park(tx, lease, parked("projector", 2, "poison"));
                    return null;
                }))
                .isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> executor.inTransaction(tx -> {
                    executor.acknowledge(tx, lease, cursors.get(2));
                    return null;
                }))
                .isInstanceOf(LeaseLostException.class);

        assertThat(executor.parked("projector", 10)).isEmpty();
        assertThat(executor.subscriberCursor("projector")).contains(cursors.get(0));
    }

    @Test
    void an_event_parked_in_a_transaction_is_listed_only_after_the_commit() throws Exception {
        Lease lease = executor.acquireLease("projector", "w1", TTL).orElseThrow();

        executor.inTransaction(tx -> {
            executor.park(tx, lease, parked("projector", 2, "poison"));
            executor.acknowledge(tx, lease, cursors.get(1));

            assertThat(executor.parked("projector", 10)).isEmpty();
            return null;
        });

        assertThat(executor.parked("projector", 10)).singleElement().satisfies(p -> {
            assertThat(p.eventId()).isEqualTo(stored.get(1).id());
            assertThat(p.error()).isEqualTo("poison");
            assertThat(p.parkedAt()).isEqualTo(clock.instant());
        });
        assertThat(executor.subscriberCursor("projector")).contains(cursors.get(1));
    }

    @Test
    void writing_through_the_executor_from_inside_the_work_fails_fast_and_writes_nothing() throws Exception {
        Lease lease = executor.acquireLease("projector", "w1", TTL).orElseThrow();

        executor.inTransaction(tx -> {
            insertBalance(tx, "a", 10);
            assertThatThrownBy(() -> executor.write(events("t", "2", 1, 1)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inTransaction")
                    .hasMessageContaining("do not append events");
            assertThatThrownBy(() -> executor.acknowledge(lease, cursors.get(0)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("acknowledge(Connection");
            assertThatThrownBy(() -> executor.inTransaction(nested -> null)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(executor::close).isInstanceOf(IllegalStateException.class);
            return null;
        });

        assertThat(executor.lastEvent("t", "2")).isEmpty();
        assertThat(executor.subscriberCursor("projector")).isEmpty();
        assertThat(TestStore.count(file, "SELECT count(*) FROM balance"))
                .as("the work itself committed")
                .isEqualTo(1);
        executor.write(events("t", "2", 1, 1));
        assertThat(executor.lastEvent("t", "2")).isPresent();
    }

    @Test
    void a_nested_write_left_to_propagate_rolls_the_work_back() throws Exception {
        assertThatThrownBy(() -> executor.inTransaction(tx -> {
                    insertBalance(tx, "a", 10);
                    executor.write(events("t", "2", 1, 1));
                    return null;
                }))
                .isInstanceOf(IllegalStateException.class);

        assertThat(TestStore.count(file, "SELECT count(*) FROM balance")).isZero();
        assertThat(executor.lastEvent("t", "2")).isEmpty();
    }

    @Test
    void the_connection_cannot_end_the_transaction_and_closing_it_only_detaches_it() throws Exception {
        AtomicReference<Connection> leaked = new AtomicReference<>();

        executor.inTransaction(tx -> {
            leaked.set(tx);
            assertThat(tx.getAutoCommit()).isFalse();
            assertThatThrownBy(tx::commit).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(tx::rollback).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> tx.setAutoCommit(true)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(tx::setSavepoint).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> tx.setReadOnly(true)).isInstanceOf(IllegalStateException.class);
            insertBalance(tx, "a", 10);
            tx.close();
            assertThat(tx.isClosed()).isTrue();
            assertThatThrownBy(() -> insertBalance(tx, "b", 20)).isInstanceOf(SQLException.class);
            return null;
        });

        assertThat(TestStore.count(file, "SELECT count(*) FROM balance")).isEqualTo(1);
        assertThatThrownBy(() -> insertBalance(leaked.get(), "c", 30))
                .as("a connection kept beyond the work")
                .isInstanceOf(SQLException.class);
        Lease lease = executor.acquireLease("projector", "w1", TTL).orElseThrow();
        assertThatThrownBy(() -> executor.acknowledge(leaked.get(), lease, cursors.get(0)))
                .isInstanceOf(IllegalStateException.class);
        executor.write(events("t", "2", 1, 1));
        assertThat(executor.lastEvent("t", "2")).isPresent();
    }

    @Test
    void sql_savepoints_inside_the_work_roll_back_part_of_it() throws Exception {
        executor.inTransaction(tx -> {
            try (Statement statement = tx.createStatement()) {
                insertBalance(tx, "a", 10);
                statement.execute("SAVEPOINT attempt");
                insertBalance(tx, "b", 20);
                statement.execute("ROLLBACK TO attempt");
                statement.execute("RELEASE attempt");
            }
            return null;
        });

        assertThat(TestStore.column(file, "SELECT account FROM balance")).containsExactly("a");
    }

    @Test
    void the_transactional_methods_need_the_connection_of_the_running_work() throws Exception {
        Lease lease = executor.acquireLease("projector", "w1", TTL).orElseThrow();
        try (Connection other = TestStore.connect(file)) {
            assertThatThrownBy(() -> executor.acknowledge(other, lease, cursors.get(0)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inTransaction");

            executor.inTransaction(tx -> {
                assertThatThrownBy(() -> executor.acknowledge(other, lease, cursors.get(0)))
                        .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> executor.park(other, lease, parked("projector", 1, "x")))
                        .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> executor.park(tx, lease, parked("elsewhere", 1, "x")))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("elsewhere");
                return null;
            });
        }
        assertThat(executor.subscriberCursor("projector")).isEmpty();
        assertThat(executor.parked("projector", 10)).isEmpty();
    }

    @Test
    void another_thread_writing_meanwhile_waits_for_the_transaction_to_end() throws Exception {
        AtomicReference<Thread> writerThread = new AtomicReference<>();
        AtomicReference<CompletableFuture<Void>> write = new AtomicReference<>();

        executor.inTransaction(tx -> {
            insertBalance(tx, "a", 10);
            write.set(CompletableFuture.runAsync(() -> {
                writerThread.set(Thread.currentThread());
                executor.write(events("t", "2", 1, 1));
            }));
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                Thread t = writerThread.get();
                return t != null && t.getState() == Thread.State.WAITING;
            });
            assertThat(write.get()).isNotDone();
            assertThat(executor.lastEvent("t", "2")).isEmpty();
            return null;
        });

        write.get().get(20, TimeUnit.SECONDS);
        assertThat(executor.lastEvent("t", "2")).isPresent();
        assertThat(TestStore.count(file, "SELECT count(*) FROM balance")).isEqualTo(1);
    }

    @Test
    void commit_listeners_run_on_the_writing_thread_after_each_write_but_not_after_other_commits() {
        AtomicInteger calls = new AtomicInteger();
        AtomicReference<Thread> caller = new AtomicReference<>();
        Executor.Registration registration = executor.onCommit(() -> {
            caller.set(Thread.currentThread());
            calls.incrementAndGet();
        });
        try {
            executor.write(events("t", "2", 1, 1));

            assertThat(calls).hasValue(1);
            assertThat(caller).hasValue(Thread.currentThread());

            Lease lease = executor.acquireLease("projector", "w1", TTL).orElseThrow();
            executor.acknowledge(lease, cursors.get(0));
            executor.inTransaction(tx -> null);
            assertThatThrownBy(() -> executor.write(events("t", "2", 1, 1))).isInstanceOf(RuntimeException.class);
            assertThat(calls)
                    .as("acknowledgements, transactions and failed writes")
                    .hasValue(1);
        } finally {
            registration.close();
        }
        executor.write(events("t", "3", 1, 1));
        assertThat(calls).as("after the registration was closed").hasValue(1);
    }

    private ParkedEvent parked(String key, int n, String error) {
        StoredEvent e = stored.get(n - 1);
        return new ParkedEvent(
                key, e.id(), e.aggregatorType(), e.aggregatorId(), e.version(), error, 3, clock.instant());
    }

    private static void insertBalance(Connection tx, String account, int amount) throws SQLException {
        try (PreparedStatement insert = tx.prepareStatement("INSERT INTO balance (account, amount) VALUES (?, ?)")) {
            insert.setString(1, account);
            insert.setInt(2, amount);
            insert.executeUpdate();
        }
    }
}
