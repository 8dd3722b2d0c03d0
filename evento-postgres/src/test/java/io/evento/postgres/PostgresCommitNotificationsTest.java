package io.evento.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.evento.StoreException;
import io.evento.spi.Executor;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Waking subscribers across processes: two executors on one schema stand for two processes, each
 * with its own pool and threads.
 */
class PostgresCommitNotificationsTest {
    private static final TestDatabase DATABASE = new TestDatabase("evento_notify");
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @AfterAll
    static void dropSchemas() throws SQLException {
        DATABASE.dropSchemas();
    }

    @Test
    void a_listener_of_one_executor_is_called_when_another_commits_until_its_registration_is_closed() {
        String schema = DATABASE.newSchema();
        try (PostgresExecutor a = TestDatabase.open(schema);
                PostgresExecutor b = TestDatabase.open(schema)) {
            AtomicInteger calls = new AtomicInteger();
            Executor.Registration registration = a.onCommit(calls::incrementAndGet);
            Thread listener = a.notifications().listenerThread().orElseThrow();
            awaitListening(a);
            int before = calls.get();

            b.write(TestDatabase.events("acc", 1, 1));

            await().atMost(PATIENCE).until(() -> calls.get() > before);

            registration.close();
            await().atMost(PATIENCE).until(() -> !listener.isAlive());
            assertThat(a.notifications().listenerThread()).isEmpty();
            int afterClose = calls.get();
            b.write(TestDatabase.events("acc", 2, 2));
            // A's own commit goes through the same path as a notification would: if the closed
            // registration were still called, it would be by now.
            a.write(TestDatabase.events("acc", 3, 3));
            assertThat(calls.get()).isEqualTo(afterClose);
        }
    }

    @Test
    void every_commit_of_the_other_executor_is_followed_by_a_call_even_when_commits_come_back_to_back() {
        String schema = DATABASE.newSchema();
        try (PostgresExecutor a = TestDatabase.open(schema);
                PostgresExecutor b = TestDatabase.open(schema)) {
            AtomicInteger calls = new AtomicInteger();
            try (Executor.Registration ignored = a.onCommit(calls::incrementAndGet)) {
                awaitListening(a);
                for (int version = 1; version <= 30; version++) {
                    int before = calls.get();
                    b.write(TestDatabase.events("acc", version, version));
                    await().atMost(PATIENCE)
                            .alias("a call after commit " + version)
                            .until(() -> calls.get() > before);
                }
            }
        }
    }

    /**
     * The notifier is woken only when it has gone idle; a commit racing with it going idle must
     * still be announced. Bursts of commits from several threads, with random gaps, end at random
     * moments of the notifier's send-and-pause cycle; after each, the request must be taken up.
     */
    @Test
    void commits_racing_with_the_notifier_going_idle_are_all_announced() throws Exception {
        String schema = DATABASE.newSchema();
        try (PostgresExecutor b = TestDatabase.open(schema)) {
            int writers = 3;
            int[] versions = new int[writers];
            for (int round = 0; round < 150; round++) {
                List<Thread> threads = new ArrayList<>();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                for (int w = 0; w < writers; w++) {
                    int writer = w;
                    threads.add(Thread.ofPlatform().start(() -> {
                        try {
                            ThreadLocalRandom random = ThreadLocalRandom.current();
                            for (int i = random.nextInt(1, 6); i > 0; i--) {
                                // A gap of up to 3 ms: bursts end anywhere in the notifier's cycle.
                                LockSupport.parkNanos(random.nextLong(3_000_000));
                                int version = ++versions[writer];
                                b.write(TestDatabase.events("acc-" + writer, version, version));
                            }
                        } catch (Throwable t) {
                            failure.set(t);
                        }
                    }));
                }
                for (Thread t : threads) {
                    t.join();
                }
                assertThat(failure.get()).isNull();
                await().atMost(PATIENCE)
                        .alias("the last commit of round " + round + " announced")
                        .until(() -> !b.notifications().announcementPending());
            }
        }
    }

    @Test
    void a_commit_calls_the_listeners_of_its_own_executor_on_the_committing_thread() {
        try (PostgresExecutor executor = DATABASE.open()) {
            Thread committer = Thread.currentThread();
            AtomicInteger onCommitter = new AtomicInteger();
            try (Executor.Registration ignored = executor.onCommit(() -> {
                if (Thread.currentThread() == committer) {
                    onCommitter.incrementAndGet();
                }
            })) {
                executor.write(TestDatabase.events("acc", 1, 1));

                assertThat(onCommitter.get()).isEqualTo(1);
            }
        }
    }

    @Test
    void the_listener_reconnects_after_losing_its_connection_and_calls_the_listeners_for_what_it_may_have_missed()
            throws SQLException {
        String schema = DATABASE.newSchema();
        try (PostgresExecutor a = TestDatabase.open(schema);
                PostgresExecutor b = TestDatabase.open(schema)) {
            AtomicInteger calls = new AtomicInteger();
            try (Executor.Registration ignored = a.onCommit(calls::incrementAndGet)) {
                int firstPid = awaitListening(a);
                int beforeKill = calls.get();

                TestDatabase.execute("SELECT pg_terminate_backend(" + firstPid + ")");

                await().atMost(PATIENCE)
                        .until(() -> a.notifications().listenerBackendPid() != 0
                                && a.notifications().listenerBackendPid() != firstPid);
                await().atMost(PATIENCE).until(() -> calls.get() > beforeKill);
                int reconnected = awaitListening(a);
                int before = calls.get();
                b.write(TestDatabase.events("acc", 1, 1));
                await().atMost(PATIENCE).until(() -> calls.get() > before);
                assertThat(reconnected).isNotEqualTo(firstPid);
            }
        }
    }

    @Test
    void closing_the_executor_stops_both_threads_and_closes_their_connections() throws SQLException {
        String schema = DATABASE.newSchema();
        PostgresExecutor executor = TestDatabase.open(schema);
        executor.onCommit(() -> {});
        executor.write(TestDatabase.events("acc", 1, 1));
        Thread listener = executor.notifications().listenerThread().orElseThrow();
        Thread notifier = executor.notifications().notifierThread().orElseThrow();
        int pid = awaitListening(executor);
        assertThat(listener.isDaemon()).isTrue();
        assertThat(notifier.isDaemon()).isTrue();

        executor.close();

        assertThat(listener.isAlive()).isFalse();
        assertThat(notifier.isAlive()).isFalse();
        await().atMost(PATIENCE).until(() -> !backendExists(pid));
        assertThatThrownBy(() -> executor.onCommit(() -> {}))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void no_thread_starts_before_it_is_needed() {
        try (PostgresExecutor executor = DATABASE.open()) {
            executor.lastEvent("tck/Account", "nothing");

            assertThat(executor.notifications().listenerThread()).isEmpty();
            assertThat(executor.notifications().notifierThread()).isEmpty();

            executor.write(TestDatabase.events("acc", 1, 1));
            assertThat(executor.notifications().notifierThread()).isPresent();
            assertThat(executor.notifications().listenerThread()).isEmpty();
        }
    }

    @Test
    void with_a_manual_commit_data_source_the_listener_holds_one_connection_only_while_registered() {
        String schema = DATABASE.newSchema();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(TestDatabase.URL);
        config.setMaximumPoolSize(3);
        // LISTEN and NOTIFY only take effect when their transaction commits: the executor must
        // switch these connections to auto-commit.
        config.setAutoCommit(false);
        try (HikariDataSource pool = new HikariDataSource(config);
                PostgresExecutor a = PostgresExecutor.builder()
                        .dataSource(pool)
                        .schema(schema)
                        .open();
                PostgresExecutor b = PostgresExecutor.builder()
                        .dataSource(pool)
                        .schema(schema)
                        .open()) {
            AtomicInteger calls = new AtomicInteger();
            Executor.Registration registration = a.onCommit(calls::incrementAndGet);
            awaitListening(a);
            assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isEqualTo(1);
            int before = calls.get();

            b.write(TestDatabase.events("acc", 1, 1));

            await().atMost(PATIENCE).until(() -> calls.get() > before);
            registration.close();
            await().atMost(PATIENCE).until(() -> pool.getHikariPoolMXBean().getActiveConnections() == 0);
        }
    }

    @Test
    void the_channel_is_named_after_the_schema_and_long_names_are_shortened_distinctly() {
        assertThat(CommitNotifications.channel("billing")).isEqualTo("evento_billing");
        String longest = "s".repeat(56);
        assertThat(CommitNotifications.channel(longest)).isEqualTo("evento_" + longest);

        String a = "a".repeat(60) + "one";
        String b = "a".repeat(60) + "two";
        assertThat(CommitNotifications.channel(a))
                .hasSize(CommitNotifications.MAX_CHANNEL_LENGTH)
                .startsWith("evento_aaaa")
                .matches("[a-z0-9_]+")
                .isNotEqualTo(CommitNotifications.channel(b));
        assertThat(CommitNotifications.channel(a)).isEqualTo(CommitNotifications.channel(a));
    }

    @Test
    void executors_on_a_schema_with_the_longest_name_still_wake_each_other() {
        String schema = (DATABASE.newSchema() + "_" + "x".repeat(63)).substring(0, 63);
        DATABASE.track(schema);
        try (PostgresExecutor a = TestDatabase.open(schema);
                PostgresExecutor b = TestDatabase.open(schema)) {
            AtomicInteger calls = new AtomicInteger();
            try (Executor.Registration ignored = a.onCommit(calls::incrementAndGet)) {
                awaitListening(a);
                int before = calls.get();
                b.write(TestDatabase.events("acc", 1, 1));
                await().atMost(PATIENCE).until(() -> calls.get() > before);
            }
        }
    }

    /** Waits until the executor's listener has run LISTEN, and returns its server process id. */
    private static int awaitListening(PostgresExecutor executor) {
        String channel = executor.notifications().channel();
        await().atMost(PATIENCE).until(() -> {
            int pid = executor.notifications().listenerBackendPid();
            return pid != 0 && listensOn(pid, channel);
        });
        return executor.notifications().listenerBackendPid();
    }

    private static boolean listensOn(int pid, String channel) throws SQLException {
        // pg_listening_channels() only shows the calling session's channels; the listener's last
        // statement is the next best sign, and it is set before the LISTEN completes, so also
        // check that the backend is idle (the statement finished).
        try (Connection c = TestDatabase.connect();
                Statement statement = c.createStatement();
                ResultSet rs = statement.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid
                        + " AND state = 'idle' AND query = 'LISTEN \"" + channel + "\"'")) {
            rs.next();
            return rs.getInt(1) == 1;
        }
    }

    private static boolean backendExists(int pid) throws SQLException {
        try (Connection c = TestDatabase.connect();
                Statement statement = c.createStatement();
                ResultSet rs = statement.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid)) {
            rs.next();
            return rs.getInt(1) > 0;
        }
    }
}
