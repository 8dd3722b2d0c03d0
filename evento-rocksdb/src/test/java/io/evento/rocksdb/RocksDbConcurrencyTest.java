package io.evento.rocksdb;

import static io.evento.tck.fixtures.TestEvents.all;
import static io.evento.tck.fixtures.TestEvents.assertWholeCommits;
import static io.evento.tck.fixtures.TestEvents.events;
import static org.assertj.core.api.Assertions.assertThat;

import io.evento.EventFilter;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.RoutingFilter;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbConcurrencyTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void tailing_readers_see_every_event_exactly_once_in_log_order_while_many_threads_write() throws Exception {
        int writers = 8;
        int commitsPerWriter = 150;
        try (RocksDbExecutor executor = RocksDbExecutor.open(dir.resolve("store"));
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
                ExecutorService busy = busyThreads()) {
            AtomicInteger running = new AtomicInteger(writers);
            List<Future<?>> writing = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String type = w % 2 == 0 ? "even" : "odd";
                String id = "writer-" + w;
                Optional<String> routingKey = Optional.of("k" + (w / 2) % 2);
                writing.add(threads.submit(() -> {
                    try {
                        int version = 0;
                        for (int commit = 1; commit <= commitsPerWriter; commit++) {
                            int size = 1 + commit % 3;
                            executor.write(events(type, id, version + 1, version + size, routingKey));
                            version += size;
                        }
                    } finally {
                        running.decrementAndGet();
                    }
                    return null;
                }));
            }
            // Each reader pages forward from its last cursor, through a different kind of source.
            List<ReadQuery> shapes = List.of(
                    ReadQuery.all(PageRequest.forward(7)),
                    ReadQuery.of(PageRequest.forward(5), new EventFilter.ByType("even")),
                    ReadQuery.of(
                            PageRequest.forward(9),
                            new EventFilter.ByType("odd"),
                            new EventFilter.ById("even", "writer-0"),
                            new EventFilter.ByName("even", "Event2")),
                    new ReadQuery(List.of(), RoutingFilter.key("k1"), PageRequest.forward(6)));
            List<Future<List<StoredEvent>>> tails = new ArrayList<>();
            for (ReadQuery shape : shapes) {
                tails.add(busy.submit(() -> tail(executor, shape, running)));
            }

            for (Future<?> w : writing) {
                w.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            List<StoredEvent> log = all(executor);
            assertThat(log).hasSize(writers * commitsPerWriter * 2);
            for (int i = 0; i < shapes.size(); i++) {
                ReadQuery shape = shapes.get(i);
                List<StoredEvent> expected = log.stream().filter(shape::matches).toList();
                assertThat(expected).isNotEmpty();
                assertThat(tails.get(i).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                        .as("tail of %s", shape)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void readers_running_beside_the_writer_never_see_part_of_a_commit() throws Exception {
        int commitSize = 5;
        try (RocksDbExecutor executor = RocksDbExecutor.open(dir.resolve("store"));
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
                ExecutorService busy = busyThreads()) {
            AtomicBoolean writing = new AtomicBoolean(true);
            List<Future<?>> writers = new ArrayList<>();
            for (int aggregate = 0; aggregate < 4; aggregate++) {
                String id = "agg-" + aggregate;
                writers.add(threads.submit(() -> {
                    for (int commit = 0; commit < 50; commit++) {
                        int from = commit * commitSize + 1;
                        executor.write(events("t", id, from, from + commitSize - 1));
                    }
                    return null;
                }));
            }
            Future<?> done = threads.submit(() -> {
                try {
                    for (Future<?> w : writers) {
                        w.get();
                    }
                } finally {
                    writing.set(false);
                }
                return null;
            });
            List<Future<Integer>> readers = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                readers.add(busy.submit(() -> {
                    int checks = 0;
                    do {
                        List<StoredEvent> page = executor.read(
                                        ReadQuery.of(PageRequest.backward(10_000), new EventFilter.ByType("t")))
                                .nodes();
                        assertThat(page.size() % commitSize).isZero();
                        assertWholeCommits(executor, "t", 4, commitSize);
                        checks++;
                    } while (writing.get());
                    return checks;
                }));
            }

            done.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            for (Future<Integer> reader : readers) {
                assertThat(reader.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isPositive();
            }
            assertThat(all(executor)).hasSize(4 * 50 * commitSize);
        }
    }

    /**
     * Platform threads for readers that poll in a loop: on virtual threads they would keep the few
     * carrier threads busy and starve the writers, whose completions wait in the scheduler's queue.
     */
    static ExecutorService busyThreads() {
        return Executors.newThreadPerTaskExecutor(Thread.ofPlatform().factory());
    }

    /** Pages forward until the writers are done and a page comes back empty. */
    private static List<StoredEvent> tail(RocksDbExecutor executor, ReadQuery shape, AtomicInteger running) {
        List<StoredEvent> seen = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        while (true) {
            boolean writersDone = running.get() == 0;
            PageRequest request =
                    new PageRequest(PageRequest.Direction.FORWARD, shape.page().size(), cursor);
            Page<StoredEvent> page = executor.read(new ReadQuery(shape.filters(), shape.routing(), request));
            seen.addAll(page.nodes());
            if (!page.isEmpty()) {
                cursor = page.pageInfo().endCursor();
            } else if (writersDone) {
                return seen;
            } else {
                Thread.onSpinWait();
            }
        }
    }
}
