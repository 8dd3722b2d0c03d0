package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.evento.Evento;
import io.evento.Page;
import io.evento.Subscription;
import io.evento.SubscriptionHandle;
import io.evento.spi.ForwardingExecutor;
import io.evento.spi.JdbcExecutor;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Transactional subscriptions on a {@link JdbcExecutor}: a read model written in the handler's
 * transaction is updated exactly once, whatever fails between handling and the checkpoint. A SQL
 * backend extends it with one small class returning a fresh, empty store.
 *
 * <p>The read model is a table without a unique key, so a duplicate row would show. It is created
 * with an unqualified name on a connection of the store: a backend whose store lives in a schema
 * of its own puts that schema first on the connection's search path (PostgreSQL: {@code
 * currentSchema} in the JDBC URL).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public abstract class JdbcSubscriptionTck {
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private JdbcExecutor store;
    private Evento evento;
    private final List<SubscriptionHandle> handles = new ArrayList<>();

    /** Creates the suite. */
    protected JdbcSubscriptionTck() {}

    /**
     * A new, empty store, distinct from every store returned before. The suite closes it.
     *
     * @return the executor
     */
    protected abstract JdbcExecutor newExecutor();

    @BeforeEach
    final void openStore() {
        store = newExecutor();
        evento = Evento.builder(store).register(Account.class, Owner.class).build();
        store.inTransaction(tx -> {
            try (Statement s = tx.createStatement()) {
                s.execute("CREATE TABLE tck_read_model (event_id VARCHAR(64) NOT NULL, amount BIGINT NOT NULL)");
            }
            return null;
        });
    }

    @AfterEach
    final void closeStore() {
        handles.forEach(SubscriptionHandle::shutdown);
        store.close();
    }

    @Test
    void a_crash_between_handling_and_commit_leaves_no_duplicate_after_the_replacement_catches_up() {
        seedDeposits(20);
        AtomicInteger handled = new AtomicInteger();
        Subscription.Handler<Account> writeRow = (e, c) -> {
            handled.incrementAndGet();
            insert(c.connection(), e.id(), ((Account.Deposited) e.data()).amount());
        };
        Crashing crashing = new Crashing(store, 2);
        Evento doomed =
                Evento.builder(crashing).register(Account.class, Owner.class).build();
        SubscriptionHandle dead = doomed.subscription("exactly-once")
                .on(Account.class, writeRow)
                .transactional()
                .chunkSize(5)
                .start();
        handles.add(dead);
        await().atMost(PATIENCE).until(() -> !dead.isRunning());
        assertThat(dead.failure()).get().isSameAs(crashing.crash);
        assertThat(rows()).as("the crashed chunk's rows were rolled back").hasSize(5);

        evento.subscription("exactly-once")
                .on(Account.class, writeRow)
                .transactional()
                .chunkSize(5)
                .execute();

        assertThat(handled.get()).as("the crashed chunk was handled twice").isEqualTo(25);
        assertThat(rows()).hasSize(20).doesNotHaveDuplicates().containsExactlyElementsOf(eventIds());
        assertThat(store.subscriberCursor("exactly-once")).contains(lastCursor());
    }

    @Test
    void a_failed_attempt_rolls_back_its_writes_and_the_events_before_it_commit_once() {
        seedDeposits(8);
        String flaky = eventIds().get(5);
        AtomicInteger attempts = new AtomicInteger();

        evento.subscription("retrying")
                .on(Account.class, (e, c) -> {
                    insert(c.connection(), e.id(), 1);
                    if (e.id().equals(flaky) && attempts.incrementAndGet() < 3) {
                        throw new IllegalStateException("rolled back, attempt " + c.attempt());
                    }
                })
                .transactional()
                .retry(3)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(2))
                .execute();

        assertThat(attempts.get()).isEqualTo(3);
        assertThat(rows()).containsExactlyElementsOf(eventIds());
    }

    @Test
    void a_parked_event_and_the_checkpoint_past_it_commit_together_and_its_writes_do_not() {
        seedDeposits(6);
        String poison = eventIds().get(2);
        Subscription subscription = evento.subscription("parking")
                .on(Account.class, (e, c) -> {
                    insert(c.connection(), e.id(), 1);
                    if (e.id().equals(poison)) {
                        throw new SQLException("constraint violated by " + e.id());
                    }
                })
                .transactional()
                .retry(1)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(2))
                .acceptFailure()
                .build();

        subscription.execute();

        List<String> expected = new ArrayList<>(eventIds());
        expected.remove(poison);
        assertThat(rows()).containsExactlyElementsOf(expected);
        assertThat(subscription.parked()).singleElement().satisfies(p -> {
            assertThat(p.eventId()).isEqualTo(poison);
            assertThat(p.attempts()).isEqualTo(2);
            assertThat(p.error()).contains("constraint violated by " + poison);
        });
        assertThat(store.subscriberCursor("parking")).contains(lastCursor());
    }

    private void seedDeposits(int n) {
        for (int i = 0; i < n; i++) {
            evento.aggregator("jdbc-" + (i % 3)).event(new Account.Deposited(i)).commit();
        }
    }

    private static void insert(Connection tx, String eventId, long amount) throws SQLException {
        try (PreparedStatement insert =
                tx.prepareStatement("INSERT INTO tck_read_model (event_id, amount) VALUES (?, ?)")) {
            insert.setString(1, eventId);
            insert.setLong(2, amount);
            insert.executeUpdate();
        }
    }

    /** The read model's event ids, in the global order of their events. */
    private List<String> rows() {
        List<String> inTable = store.inTransaction(tx -> {
            List<String> ids = new ArrayList<>();
            try (Statement s = tx.createStatement();
                    ResultSet rs = s.executeQuery("SELECT event_id FROM tck_read_model")) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            return ids;
        });
        List<String> ordered = new ArrayList<>();
        for (String id : eventIds()) {
            long n = inTable.stream().filter(id::equals).count();
            for (long i = 0; i < n; i++) {
                ordered.add(id);
            }
        }
        assertThat(ordered).as("only events of the store are in the read model").hasSameSizeAs(inTable);
        return ordered;
    }

    private List<String> eventIds() {
        return page().nodes().stream().map(StoredEvent::id).toList();
    }

    private String lastCursor() {
        return page().edges().getLast().cursor();
    }

    private Page<StoredEvent> page() {
        return store.read(ReadQuery.all(io.evento.PageRequest.forward(1_000)));
    }

    /** A JDBC executor whose process dies inside the n-th checkpoint, after the handlers ran. */
    private static final class Crashing extends ForwardingExecutor implements JdbcExecutor {
        private final JdbcExecutor store;
        private final AtomicInteger acknowledgements = new AtomicInteger();
        private final int crashAt;
        final IllegalStateException crash = new IllegalStateException("simulated crash before the commit");

        Crashing(JdbcExecutor store, int crashAt) {
            super(store);
            this.store = store;
            this.crashAt = crashAt;
        }

        @Override
        public void acknowledge(Connection transaction, Lease lease, String cursor) {
            if (acknowledgements.incrementAndGet() == crashAt) {
                throw crash;
            }
            store.acknowledge(transaction, lease, cursor);
        }

        @Override
        public <T> T inTransaction(Work<T> work) {
            return store.inTransaction(work);
        }

        @Override
        public void park(Connection transaction, Lease lease, ParkedEvent event) {
            store.park(transaction, lease, event);
        }

        @Override
        public boolean unpark(Connection transaction, String key, String eventId) {
            return store.unpark(transaction, key, eventId);
        }

        @Override
        public void close() {
            // The real store belongs to the suite.
        }
    }
}
