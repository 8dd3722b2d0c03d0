package io.evento.sqlite;

import static io.evento.tck.fixtures.TestEvents.assertWholeCommits;
import static io.evento.tck.fixtures.TestEvents.events;
import static org.assertj.core.api.Assertions.assertThat;

import io.evento.ConcurrencyException;
import io.evento.EventFilter;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteConcurrencyTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void readers_running_beside_the_writer_never_see_part_of_a_commit() throws Exception {
        int commitSize = 5;
        try (SqliteExecutor executor = SqliteExecutor.open(dir.resolve("events.db"));
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            AtomicBoolean writing = new AtomicBoolean(true);
            Future<?> writer = threads.submit(() -> {
                try {
                    for (int commit = 0; commit < 40; commit++) {
                        for (int aggregate = 0; aggregate < 5; aggregate++) {
                            int from = commit * commitSize + 1;
                            executor.write(events("t", "agg-" + aggregate, from, from + commitSize - 1));
                        }
                    }
                } finally {
                    writing.set(false);
                }
                return null;
            });
            List<Future<Integer>> readers = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                readers.add(threads.submit(() -> {
                    int checks = 0;
                    do {
                        List<StoredEvent> all = executor.read(ReadQuery.all(PageRequest.forward(10_000)))
                                .nodes();
                        assertThat(all.size() % commitSize).isZero();
                        assertWholeCommits(executor, "t", 5, commitSize);
                        checks++;
                    } while (writing.get());
                    return checks;
                }));
            }

            writer.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            for (Future<Integer> reader : readers) {
                assertThat(reader.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isPositive();
            }
            assertThat(executor.read(ReadQuery.all(PageRequest.forward(10_000))).nodes())
                    .hasSize(40 * 5 * commitSize);
        }
    }

    @Test
    void more_threads_than_read_connections_take_turns_and_all_get_their_answer() throws Exception {
        try (SqliteExecutor executor = SqliteExecutor.builder(dir.resolve("events.db"))
                        .readConnections(1)
                        .open();
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int a = 0; a < 20; a++) {
                executor.write(events("t", "agg-" + a, 1, 1 + a % 4));
            }
            List<Future<Integer>> reads = new ArrayList<>();
            for (int r = 0; r < 32; r++) {
                String id = "agg-" + (r % 20);
                reads.add(threads.submit(
                        () -> executor.readAggregate("t", id, 0, 100).size()));
            }

            for (int r = 0; r < reads.size(); r++) {
                assertThat(reads.get(r).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                        .isEqualTo(1 + (r % 20) % 4);
            }
        }
    }

    @Test
    void a_reader_tailing_the_log_while_many_threads_write_sees_every_event_once_in_log_order() throws Exception {
        int writers = 8;
        int commitsPerWriter = 40;
        try (SqliteExecutor executor = SqliteExecutor.open(dir.resolve("events.db"));
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            AtomicInteger running = new AtomicInteger(writers);
            List<Future<?>> writing = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String id = "writer-" + w;
                writing.add(threads.submit(() -> {
                    try {
                        for (int v = 1; v <= commitsPerWriter; v++) {
                            executor.write(events("t", id, v, v, Optional.of(v % 2 == 0 ? "even" : "odd")));
                        }
                    } finally {
                        running.decrementAndGet();
                    }
                    return null;
                }));
            }
            Future<List<StoredEvent>> tail = threads.submit(() -> {
                List<StoredEvent> seen = new ArrayList<>();
                Optional<String> cursor = Optional.empty();
                while (true) {
                    boolean writersDone = running.get() == 0;
                    Page<StoredEvent> page = executor.read(ReadQuery.of(
                            new PageRequest(PageRequest.Direction.FORWARD, 7, cursor), new EventFilter.ByType("t")));
                    seen.addAll(page.nodes());
                    if (!page.isEmpty()) {
                        cursor = page.pageInfo().endCursor();
                    }
                    if (page.isEmpty() && writersDone) {
                        return seen;
                    }
                }
            });

            for (Future<?> w : writing) {
                w.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            List<StoredEvent> seen = tail.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            List<StoredEvent> log =
                    executor.read(ReadQuery.all(PageRequest.forward(10_000))).nodes();

            assertThat(log).hasSize(writers * commitsPerWriter);
            assertThat(seen).isEqualTo(log);
        }
    }

    @Test
    void threads_appending_to_one_aggregate_through_two_executors_on_one_file_never_lose_or_duplicate_a_version()
            throws Exception {
        Path file = dir.resolve("events.db");
        int threadsCount = 8;
        int appendsPerThread = 15;
        try (SqliteExecutor one = SqliteExecutor.open(file);
                SqliteExecutor two = SqliteExecutor.open(file);
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> appenders = new ArrayList<>();
            for (int t = 0; t < threadsCount; t++) {
                SqliteExecutor executor = t % 2 == 0 ? one : two;
                String thread = "thread-" + t;
                appenders.add(threads.submit(() -> {
                    for (int i = 0; i < appendsPerThread; i++) {
                        while (true) {
                            int current = executor.lastEvent("t", "hot")
                                    .map(StoredEvent::version)
                                    .orElse(0);
                            StoredEvent event =
                                    events("t", "hot", current + 1, current + 1).getFirst();
                            StoredEvent named = new StoredEvent(
                                    thread + "-" + i,
                                    event.aggregatorType(),
                                    event.aggregatorId(),
                                    event.version(),
                                    event.name(),
                                    event.routingKey(),
                                    event.data(),
                                    event.metadata(),
                                    event.timestampMicros());
                            try {
                                executor.write(List.of(named));
                                break;
                            } catch (ConcurrencyException e) {
                                // Another thread appended first: read the new version and retry.
                                assertThat(e.aggregatorId()).isEqualTo("hot");
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> appender : appenders) {
                appender.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }

            List<StoredEvent> stream = one.readAggregate("t", "hot", 0, 10_000);
            assertThat(stream).hasSize(threadsCount * appendsPerThread);
            for (int i = 0; i < stream.size(); i++) {
                assertThat(stream.get(i).version()).isEqualTo(i + 1);
            }
            Set<String> ids = new HashSet<>();
            stream.forEach(e -> ids.add(e.id()));
            assertThat(ids).hasSize(threadsCount * appendsPerThread);
            assertThat(two.readAggregate("t", "hot", 0, 10_000)).isEqualTo(stream);
        }
    }
}
