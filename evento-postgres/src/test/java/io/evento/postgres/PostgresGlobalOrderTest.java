package io.evento.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.evento.Page;
import io.evento.PageRequest;
import io.evento.StoreException;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The transaction horizon: a reader never passes an event whose transaction is still open, so a
 * commit that lands late is still read, in its place, exactly once; and writers never wait for it.
 *
 * <p>Commits are held open in two ways: a transaction of the test's own that inserts with the
 * executor's statement, and a commit through the executor itself that a trigger makes wait, after
 * its transaction got its id, on an advisory lock the test holds.
 */
class PostgresGlobalOrderTest {
    private static final TestDatabase DATABASE = new TestDatabase("evento_order");
    private static final int GATE = 4242;
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private PostgresExecutor executor;
    private String schema;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeEach
    void open() throws SQLException {
        schema = DATABASE.newSchema();
        executor = TestDatabase.open(schema);
        // Commits to aggregates named "slow-*" wait for the gate, with their transaction id assigned;
        // those named "doomed-*" then fail, so their transaction rolls back.
        TestDatabase.execute(
                "CREATE FUNCTION \"" + schema + "\".gate() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
                        + " IF NEW.aggregator_id LIKE 'slow-%' OR NEW.aggregator_id LIKE 'doomed-%' THEN"
                        + " PERFORM pg_advisory_lock(" + GATE + "); PERFORM pg_advisory_unlock(" + GATE + ");"
                        + " END IF;"
                        + " IF NEW.aggregator_id LIKE 'doomed-%' THEN RAISE EXCEPTION 'doomed'; END IF;"
                        + " RETURN NEW; END$$",
                "CREATE TRIGGER gate BEFORE INSERT ON \"" + schema + "\".evento_event"
                        + " FOR EACH ROW EXECUTE FUNCTION \"" + schema + "\".gate()");
    }

    @AfterEach
    void close() {
        threads.shutdownNow();
        executor.close();
    }

    @AfterAll
    static void dropSchemas() throws SQLException {
        DATABASE.dropSchemas();
    }

    @Test
    void a_reader_sees_nothing_past_an_open_transaction_until_it_commits_then_everything_once_in_order()
            throws Exception {
        executor.write(TestDatabase.events("early", 1, 3));
        String cursor = lastCursor(readAll(Optional.empty()));
        List<StoredEvent> held = TestDatabase.events("held", 1, 2);

        try (Connection open = TestDatabase.connect()) {
            open.setAutoCommit(false);
            assertThat(executor.eventLog().insert(open, held, 0)).isTrue();

            // Writers go on while the transaction is open, and their commits are loaded at once.
            List<StoredEvent> later = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                List<StoredEvent> commit = TestDatabase.events("later-" + i, 1, 2);
                CompletableFuture.runAsync(() -> executor.write(commit), threads)
                        .get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                later.addAll(commit);
            }
            assertThat(executor.readAggregate("tck/Account", "later-3", 0, 10))
                    .isEqualTo(TestDatabase.events("later-3", 1, 2));
            assertThat(executor.lastEvent("tck/Account", "later-0")).isPresent();

            // The reader is held at the open transaction: nothing after it, in either direction.
            assertThat(readAll(Optional.of(cursor))).isEmpty();
            assertThat(readAll(Optional.empty()))
                    .extracting(StoredEvent::aggregatorId)
                    .containsOnly("early");
            assertThat(executor.read(ReadQuery.all(PageRequest.backward(100))).nodes())
                    .isEqualTo(TestDatabase.events("early", 1, 3));

            open.commit();

            // The late commit is read in its place, before every commit after its transaction began.
            List<StoredEvent> expected =
                    Stream.concat(held.stream(), later.stream()).toList();
            assertThat(readAll(Optional.of(cursor))).isEqualTo(expected);
            assertThat(pageByPage(Optional.of(cursor), 3)).isEqualTo(expected);
        }
    }

    @Test
    void a_commit_through_the_executor_that_stalls_holds_readers_back_but_no_writer() throws Exception {
        executor.write(TestDatabase.events("early", 1, 2));
        String cursor = lastCursor(readAll(Optional.empty()));
        List<StoredEvent> slow = TestDatabase.events("slow-1", 1, 3);
        CompletableFuture<Void> slowCommit;
        List<StoredEvent> later = new ArrayList<>();

        try (Connection gate = TestDatabase.connect()) {
            lockGate(gate);
            slowCommit = CompletableFuture.runAsync(() -> executor.write(slow), threads);
            awaitWaitingAtTheGate();

            for (int i = 0; i < 3; i++) {
                List<StoredEvent> commit = TestDatabase.events("fast-" + i, 1, 2);
                CompletableFuture.runAsync(() -> executor.write(commit), threads)
                        .get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                later.addAll(commit);
            }
            assertThat(slowCommit).isNotDone();
            assertThat(readAll(Optional.of(cursor))).isEmpty();

            unlockGate(gate);
        }
        slowCommit.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

        List<StoredEvent> expected =
                Stream.concat(slow.stream(), later.stream()).toList();
        assertThat(readAll(Optional.of(cursor))).isEqualTo(expected);
        assertThat(pageByPage(Optional.empty(), 2))
                .isEqualTo(Stream.concat(TestDatabase.events("early", 1, 2).stream(), expected.stream())
                        .toList());
    }

    @Test
    void a_stalled_commit_that_rolls_back_releases_the_readers_and_is_never_read() throws Exception {
        List<StoredEvent> doomed = TestDatabase.events("doomed-1", 1, 2);
        CompletableFuture<Void> doomedCommit;
        List<StoredEvent> later = new ArrayList<>();

        try (Connection gate = TestDatabase.connect()) {
            lockGate(gate);
            doomedCommit = CompletableFuture.runAsync(() -> executor.write(doomed), threads);
            awaitWaitingAtTheGate();
            for (int i = 0; i < 3; i++) {
                List<StoredEvent> commit = TestDatabase.events("fast-" + i, 1, 1);
                CompletableFuture.runAsync(() -> executor.write(commit), threads)
                        .get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                later.addAll(commit);
            }
            assertThat(readAll(Optional.empty())).isEmpty();

            unlockGate(gate);
        }
        assertThatThrownBy(() -> doomedCommit.get(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                .hasCauseInstanceOf(StoreException.class)
                .hasMessageContaining("doomed");

        assertThat(readAll(Optional.empty())).isEqualTo(later);
        assertThat(executor.lastEvent("tck/Account", "doomed-1")).isEmpty();
    }

    @Test
    void concurrent_writers_interleaving_with_stalled_commits_are_all_read_once_by_a_tailing_reader() throws Exception {
        int writers = 6;
        int commitsEach = 15;
        List<StoredEvent> seen = new ArrayList<>();
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        List<StoredEvent> slow = TestDatabase.events("slow-x", 1, 2);
        Optional<String> cursor = Optional.empty();

        try (Connection gate = TestDatabase.connect()) {
            lockGate(gate);
            CompletableFuture<Void> slowCommit = CompletableFuture.runAsync(() -> executor.write(slow), threads);
            awaitWaitingAtTheGate();
            for (int w = 0; w < writers; w++) {
                String id = "writer-" + w;
                writes.add(CompletableFuture.runAsync(
                        () -> {
                            for (int i = 1; i <= commitsEach; i++) {
                                executor.write(TestDatabase.events(id, i, i));
                            }
                        },
                        threads));
            }
            // The reader tails while the writers commit, and gets nothing past the stalled commit.
            while (!writes.stream().allMatch(CompletableFuture::isDone)) {
                Page<StoredEvent> page =
                        executor.read(ReadQuery.all(new PageRequest(PageRequest.Direction.FORWARD, 5, cursor)));
                seen.addAll(page.nodes());
                cursor = page.isEmpty() ? cursor : page.pageInfo().endCursor();
            }
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
                    .get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(seen).isEmpty();
            unlockGate(gate);
            slowCommit.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
        seen.addAll(readAll(cursor));

        assertThat(seen).hasSize(2 + writers * commitsEach).doesNotHaveDuplicates();
        assertThat(seen.subList(0, 2)).isEqualTo(slow);
        assertThat(seen).isEqualTo(readAll(Optional.empty()));
        for (int w = 0; w < writers; w++) {
            String id = "writer-" + w;
            assertThat(seen.stream().filter(e -> e.aggregatorId().equals(id)))
                    .extracting(StoredEvent::version)
                    .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, commitsEach)
                            .boxed()
                            .toList());
        }
    }

    private void lockGate(Connection gate) throws SQLException {
        try (Statement statement = gate.createStatement()) {
            statement.execute("SELECT pg_advisory_lock(" + GATE + ")");
        }
    }

    private static void unlockGate(Connection gate) throws SQLException {
        try (Statement statement = gate.createStatement()) {
            statement.execute("SELECT pg_advisory_unlock(" + GATE + ")");
        }
    }

    /** Waits until a commit is blocked at the gate, inside its transaction. */
    private static void awaitWaitingAtTheGate() throws SQLException {
        try (Connection c = TestDatabase.connect();
                PreparedStatement waiting = c.prepareStatement("SELECT count(*) FROM pg_locks"
                        + " WHERE locktype = 'advisory' AND objid = ? AND NOT granted")) {
            waiting.setInt(1, GATE);
            await().atMost(PATIENCE).until(() -> {
                try (ResultSet rs = waiting.executeQuery()) {
                    return rs.next() && rs.getInt(1) > 0;
                }
            });
        }
    }

    private List<StoredEvent> readAll(Optional<String> after) {
        return executor.read(ReadQuery.all(new PageRequest(PageRequest.Direction.FORWARD, 1_000, after)))
                .nodes();
    }

    private List<StoredEvent> pageByPage(Optional<String> after, int size) {
        List<StoredEvent> all = new ArrayList<>();
        Optional<String> cursor = after;
        while (true) {
            Page<StoredEvent> page =
                    executor.read(ReadQuery.all(new PageRequest(PageRequest.Direction.FORWARD, size, cursor)));
            all.addAll(page.nodes());
            if (!page.pageInfo().hasNextPage()) {
                return all;
            }
            cursor = page.pageInfo().endCursor();
        }
    }

    private String lastCursor(List<StoredEvent> events) {
        assertThat(events).isNotEmpty();
        return executor.read(ReadQuery.all(PageRequest.backward(1)))
                .pageInfo()
                .endCursor()
                .orElseThrow();
    }
}
