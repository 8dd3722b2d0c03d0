package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.ConcurrencyException;
import io.evento.EventFilter;
import io.evento.LeaseLostException;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.PageRequest.Direction;
import io.evento.RoutingFilter;
import io.evento.memory.InMemoryExecutor;
import io.evento.spi.Executor;
import io.evento.spi.Lease;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random sequences of SPI calls have the same outcome on the store under test as on the
 * in-memory reference executor: the same events in every page, the same page flags, conflicts,
 * leases, tokens and snapshots. Cursors differ between stores (they carry the store id), so each
 * store pages with its own.
 *
 * <p>Run by {@link ExecutorTck} as its {@code SameOutcomesAsTheReference} group.
 */
abstract class ReferenceOutcomeScenarios extends Scenarios {
    private static final List<String> TYPES = List.of("tck/Account", "tck/Owner");
    private static final List<String> IDS = List.of("a", "b", "c", "d", "e");
    private static final List<String> NAMES = List.of("Opened", "Deposited", "Closed");
    private static final List<Optional<String>> ROUTING_KEYS =
            List.of(Optional.empty(), Optional.of("eu"), Optional.of("us"));
    private static final List<String> KEYS = List.of("sub-1", "sub-2");
    private static final List<String> WORKERS = List.of("w1", "w2", "w3");

    private java.util.Random random;
    private InMemoryExecutor reference;
    private final List<Lease[]> leases = new ArrayList<>();

    ReferenceOutcomeScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4})
    void every_operation_has_the_outcome_it_has_on_the_reference_executor(long seed) {
        random = new java.util.Random(seed);
        reference = InMemoryExecutor.create();
        try {
            int writes = 0;
            for (int step = 0; step < 250; step++) {
                int op = random.nextInt(100);
                if (op < 45) {
                    writes += write() ? 1 : 0;
                } else if (op < 70) {
                    readPages();
                } else if (op < 80) {
                    readAggregate();
                } else if (op < 92) {
                    lease();
                } else {
                    snapshot();
                }
            }
            assertThat(writes).as("successful writes").isGreaterThan(20);
            assertThat(storedEvents(store())).isEqualTo(storedEvents(reference));
        } finally {
            reference.close();
        }
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
                    newEventId(),
                    type,
                    id,
                    expected + i,
                    pick(NAMES),
                    routingKey,
                    data,
                    json("{\"n\":" + i + "}"),
                    TIMESTAMP_MICROS + random.nextInt(1_000_000) * 1_000L));
        }
        String expectedOutcome = outcome(reference, e -> e.write(events));
        assertThat(outcome(store(), e -> e.write(events)))
                .as("write of %d events to %s/%s at %d", count, type, id, expected)
                .isEqualTo(expectedOutcome);
        return expectedOutcome.equals("ok");
    }

    private void readPages() {
        List<EventFilter> filters = new ArrayList<>();
        for (int i = random.nextInt(4); i > 0; i--) {
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
        Direction direction = random.nextBoolean() ? Direction.FORWARD : Direction.BACKWARD;
        int size = 1 + random.nextInt(random.nextBoolean() ? 5 : 60);
        Optional<String> referenceCursor = Optional.empty();
        Optional<String> cursor = Optional.empty();
        for (int pageNumber = 0; pageNumber < 6; pageNumber++) {
            Page<StoredEvent> expected =
                    reference.read(new ReadQuery(filters, routing, new PageRequest(direction, size, referenceCursor)));
            Page<StoredEvent> actual =
                    store().read(new ReadQuery(filters, routing, new PageRequest(direction, size, cursor)));
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
            boolean forward = direction == Direction.FORWARD;
            referenceCursor = forward
                    ? expected.pageInfo().endCursor()
                    : expected.pageInfo().startCursor();
            cursor = forward ? actual.pageInfo().endCursor() : actual.pageInfo().startCursor();
        }
    }

    private void readAggregate() {
        String type = pick(TYPES);
        String id = pick(IDS);
        int after = random.nextInt(12) - 1;
        int limit = 1 + random.nextInt(8);
        assertThat(store().readAggregate(type, id, after, limit))
                .as("readAggregate %s/%s after %d limit %d", type, id, after, limit)
                .isEqualTo(reference.readAggregate(type, id, after, limit));
        assertThat(store().lastEvent(type, id)).isEqualTo(reference.lastEvent(type, id));
    }

    private void lease() {
        String key = pick(KEYS);
        switch (random.nextInt(4)) {
            case 0, 1 -> {
                // Long leases only: expiry is judged by each store's own clock.
                String worker = pick(WORKERS);
                Optional<Lease> expected = reference.acquireLease(key, worker, LONG_TTL);
                Optional<Lease> actual = store().acquireLease(key, worker, LONG_TTL);
                assertThat(actual.map(l -> l.workerId() + "#" + l.token()))
                        .as("acquire %s by %s", key, worker)
                        .isEqualTo(expected.map(l -> l.workerId() + "#" + l.token()));
                expected.ifPresent(l -> leases.add(new Lease[] {l, actual.orElseThrow()}));
            }
            case 2 -> {
                if (leases.isEmpty()) {
                    return;
                }
                Lease[] pair = pick(leases);
                String checkpoint = "checkpoint-" + random.nextInt(1_000);
                String expected = outcome(reference, e -> e.acknowledge(pair[0], checkpoint));
                assertThat(outcome(store(), e -> e.acknowledge(pair[1], checkpoint)))
                        .as("acknowledge %s", pair[1])
                        .isEqualTo(expected);
                assertThat(store().subscriberCursor(pair[1].key()))
                        .isEqualTo(reference.subscriberCursor(pair[0].key()));
            }
            default -> {
                if (leases.isEmpty()) {
                    return;
                }
                Lease[] pair = pick(leases);
                reference.releaseLease(pair[0]);
                store().releaseLease(pair[1]);
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
                    projection, type, id, "rev-" + random.nextInt(3), 1 + random.nextInt(50), data, TIMESTAMP_MICROS);
            reference.saveSnapshot(s);
            store().saveSnapshot(s);
        }
        assertThat(store().snapshot(projection, type, id)).isEqualTo(reference.snapshot(projection, type, id));
    }

    private static String outcome(Executor store, java.util.function.Consumer<Executor> call) {
        try {
            call.accept(store);
            return "ok";
        } catch (ConcurrencyException e) {
            return "conflict at " + e.aggregatorType() + "/" + e.aggregatorId() + " v" + e.expectedVersion();
        } catch (LeaseLostException e) {
            return "lease lost";
        }
    }

    private <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }
}
