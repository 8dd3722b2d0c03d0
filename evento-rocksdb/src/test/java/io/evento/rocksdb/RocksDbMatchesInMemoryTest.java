package io.evento.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.ConcurrencyException;
import io.evento.EventFilter;
import io.evento.LeaseLostException;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.RoutingFilter;
import io.evento.memory.InMemoryExecutor;
import io.evento.spi.Executor;
import io.evento.spi.Lease;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the same random operations on the RocksDB executor and on the in-memory reference executor
 * and requires the same outcome of each: the same events in every page, the same page flags, the
 * same conflicts, leases, tokens and lost leases. Cursors differ between stores (they carry the
 * store id), so each store pages with its own cursors. Twice during each run the RocksDB store is closed
 * and opened again, which must change nothing.
 */
class RocksDbMatchesInMemoryTest {
    private static final List<String> TYPES = List.of("bank/Account", "bank/Owner");
    private static final List<String> IDS = List.of("a", "b", "c", "d", "e");
    private static final List<String> NAMES = List.of("Opened", "Deposited", "Closed");
    private static final List<Optional<String>> ROUTING_KEYS =
            List.of(Optional.empty(), Optional.of("eu"), Optional.of("us"));
    private static final List<String> KEYS = List.of("sub-1", "sub-2");
    private static final List<String> WORKERS = List.of("w1", "w2", "w3");

    @TempDir
    Path dir;

    private Random random;
    private MutableClock clock;
    private InMemoryExecutor reference;
    private RocksDbExecutor rocks;
    private Path store;
    private final List<Lease[]> leases = new ArrayList<>();

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void every_operation_has_the_outcome_it_has_on_the_reference_executor(long seed) {
        random = new Random(seed);
        clock = new MutableClock(Instant.parse("2025-03-01T12:00:00Z"));
        reference = InMemoryExecutor.create(clock);
        store = dir.resolve("seed-" + seed);
        rocks = open();
        try (InMemoryExecutor closeReference = reference) {
            int writes = 0;
            int reopened = 0;
            for (int step = 0; step < 400; step++) {
                int op = random.nextInt(100);
                if (op < 40) {
                    writes += write() ? 1 : 0;
                } else if (op < 60) {
                    readPages();
                } else if (op < 70) {
                    readAggregate();
                } else if (op < 85) {
                    lease();
                } else if (op < 93) {
                    snapshot();
                } else {
                    clock.advance(Duration.ofMillis(random.nextInt(4_000)));
                }
                if (step % 150 == 149) {
                    rocks.close();
                    rocks = open();
                    reopened++;
                }
            }
            assertThat(writes).as("successful writes").isGreaterThan(20);
            assertThat(reopened).as("reopenings").isEqualTo(2);
            assertThat(rocks.read(ReadQuery.all(PageRequest.forward(10_000))).nodes())
                    .isEqualTo(reference
                            .read(ReadQuery.all(PageRequest.forward(10_000)))
                            .nodes());
        } finally {
            rocks.close();
        }
    }

    private RocksDbExecutor open() {
        return RocksDbExecutor.builder(store).clock(clock).open();
    }

    private boolean write() {
        String type = pick(TYPES);
        String id = pick(IDS);
        int current = reference.lastEvent(type, id).map(StoredEvent::version).orElse(0);
        int expected = random.nextInt(5) == 0 ? Math.max(0, current + random.nextInt(3) - 1) : current;
        int count = 1 + random.nextInt(random.nextInt(10) == 0 ? 150 : 4);
        Optional<String> routingKey = pick(ROUTING_KEYS);
        List<StoredEvent> events = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            byte[] data = new byte[random.nextInt(20)];
            random.nextBytes(data);
            events.add(new StoredEvent(
                    "id-" + random.nextLong(),
                    type,
                    id,
                    expected + i,
                    pick(NAMES),
                    routingKey,
                    data,
                    ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8),
                    random.nextLong(1L << 52)));
        }
        String expectedOutcome = outcome(reference, e -> e.write(events));
        assertThat(outcome(rocks, e -> e.write(events)))
                .as("write of %d events to %s/%s at %d", count, type, id, expected)
                .isEqualTo(expectedOutcome);
        return expectedOutcome.equals("ok");
    }

    private void readPages() {
        List<EventFilter> filters = new ArrayList<>();
        for (int i = random.nextInt(5); i > 0; i--) {
            filters.add(
                    switch (random.nextInt(3)) {
                        case 0 -> new EventFilter.ByType(pick(TYPES));
                        case 1 -> new EventFilter.ById(pick(TYPES), pick(IDS));
                        default -> new EventFilter.ByName(pick(TYPES), pick(NAMES));
                    });
        }
        RoutingFilter routing = switch (random.nextInt(4)) {
            case 0 -> RoutingFilter.NONE;
            case 1 -> RoutingFilter.key(pick(ROUTING_KEYS).orElse("eu"));
            default -> RoutingFilter.ALL;
        };
        boolean forward = random.nextBoolean();
        int size = 1 + random.nextInt(random.nextBoolean() ? 5 : 60);
        Optional<String> referenceCursor = Optional.empty();
        Optional<String> rocksCursor = Optional.empty();
        for (int pageNumber = 0; pageNumber < 6; pageNumber++) {
            PageRequest.Direction direction = forward ? PageRequest.Direction.FORWARD : PageRequest.Direction.BACKWARD;
            Page<StoredEvent> expected =
                    reference.read(new ReadQuery(filters, routing, new PageRequest(direction, size, referenceCursor)));
            Page<StoredEvent> actual =
                    rocks.read(new ReadQuery(filters, routing, new PageRequest(direction, size, rocksCursor)));
            String description = "page " + pageNumber + " of " + direction + " " + size + " " + filters + " " + routing;

            assertThat(actual.nodes()).as(description).isEqualTo(expected.nodes());
            assertThat(actual.pageInfo().hasNextPage())
                    .as(description + ": hasNextPage")
                    .isEqualTo(expected.pageInfo().hasNextPage());
            assertThat(actual.pageInfo().hasPreviousPage())
                    .as(description + ": hasPreviousPage")
                    .isEqualTo(expected.pageInfo().hasPreviousPage());
            if (expected.isEmpty()) {
                return;
            }
            referenceCursor = forward
                    ? expected.pageInfo().endCursor()
                    : expected.pageInfo().startCursor();
            rocksCursor =
                    forward ? actual.pageInfo().endCursor() : actual.pageInfo().startCursor();
        }
    }

    private void readAggregate() {
        String type = pick(TYPES);
        String id = pick(IDS);
        int after = random.nextInt(12) - 1;
        int limit = 1 + random.nextInt(8);
        assertThat(rocks.readAggregate(type, id, after, limit))
                .as("readAggregate %s/%s after %d limit %d", type, id, after, limit)
                .isEqualTo(reference.readAggregate(type, id, after, limit));
        assertThat(rocks.lastEvent(type, id)).isEqualTo(reference.lastEvent(type, id));
    }

    private void lease() {
        String key = pick(KEYS);
        switch (random.nextInt(4)) {
            case 0, 1 -> {
                String worker = pick(WORKERS);
                Duration ttl = Duration.ofMillis(1 + random.nextInt(5_000));
                Optional<Lease> expected = reference.acquireLease(key, worker, ttl);
                Optional<Lease> actual = rocks.acquireLease(key, worker, ttl);
                assertThat(actual)
                        .as("acquire %s by %s for %s", key, worker, ttl)
                        .isEqualTo(expected);
                expected.ifPresent(l -> leases.add(new Lease[] {l, actual.orElseThrow()}));
            }
            case 2 -> {
                if (leases.isEmpty()) {
                    return;
                }
                Lease[] pair = pick(leases);
                if (reference.read(ReadQuery.all(PageRequest.forward(1))).isEmpty()) {
                    return;
                }
                // The cursor of the same event in each store: the first of the log.
                String referenceCursor = reference
                        .read(ReadQuery.all(PageRequest.forward(1)))
                        .pageInfo()
                        .endCursor()
                        .orElseThrow();
                String rocksCursor = rocks.read(ReadQuery.all(PageRequest.forward(1)))
                        .pageInfo()
                        .endCursor()
                        .orElseThrow();
                String expected = outcome(reference, e -> e.acknowledge(pair[0], referenceCursor));
                assertThat(outcome(rocks, e -> e.acknowledge(pair[1], rocksCursor)))
                        .as("acknowledge %s", pair[1])
                        .isEqualTo(expected);
                assertThat(rocks.subscriberCursor(pair[1].key()).isPresent())
                        .isEqualTo(reference.subscriberCursor(pair[0].key()).isPresent());
                if (expected.equals("ok")) {
                    assertThat(rocks.subscriberCursor(pair[1].key())).contains(rocksCursor);
                }
            }
            default -> {
                if (leases.isEmpty()) {
                    return;
                }
                Lease[] pair = pick(leases);
                reference.releaseLease(pair[0]);
                rocks.releaseLease(pair[1]);
            }
        }
    }

    private void snapshot() {
        String projection = random.nextBoolean() ? "balance" : "owner";
        String type = pick(TYPES);
        String id = pick(IDS);
        if (random.nextBoolean()) {
            byte[] data = new byte[random.nextInt(30)];
            random.nextBytes(data);
            StoredSnapshot s = new StoredSnapshot(
                    projection, type, id, "rev-" + random.nextInt(3), 1 + random.nextInt(50), data, random.nextLong());
            reference.saveSnapshot(s);
            rocks.saveSnapshot(s);
        }
        assertThat(rocks.snapshot(projection, type, id)).isEqualTo(reference.snapshot(projection, type, id));
    }

    private static String outcome(Executor executor, java.util.function.Consumer<Executor> call) {
        try {
            call.accept(executor);
            return "ok";
        } catch (ConcurrencyException e) {
            return "conflict at " + e.aggregatorType() + "/" + e.aggregatorId() + " v" + e.expectedVersion();
        } catch (LeaseLostException e) {
            return "lease lost: " + e.getMessage();
        }
    }

    private <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }
}
