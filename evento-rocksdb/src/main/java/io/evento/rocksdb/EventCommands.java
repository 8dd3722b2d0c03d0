package io.evento.rocksdb;

import io.evento.ConcurrencyException;
import io.evento.spi.StoredEvent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.rocksdb.RocksDBException;

/**
 * The writer's command that appends events: an append is checked against its aggregate's head (the
 * version it expects, the routing key it keeps) and staged with its index entries at the group's
 * next positions.
 */
final class EventCommands {
    private static final byte[] EMPTY = new byte[0];

    private EventCommands() {}

    /** Appends one commit's events to one aggregate. */
    static final class Append extends Command<Void> {
        private final Store store;
        private final List<StoredEvent> events;
        private final int expected;
        private final StagedGroup.AggregateKey aggregate;
        private final byte[] aggregatePrefix;
        private final byte[] typePrefix;
        private final byte[] routingPrefix;
        private final byte[][] namePrefixes;
        private final byte[][] values;
        private final int priority;

        /** Encodes the events in the caller's thread, so the writer only has to write them. */
        Append(Store store, List<StoredEvent> events, int expected, int priority) {
            this.store = store;
            this.priority = priority;
            this.events = events;
            this.expected = expected;
            StoredEvent first = events.getFirst();
            this.aggregate = new StagedGroup.AggregateKey(first.aggregatorType(), first.aggregatorId());
            this.aggregatePrefix = Keys.aggregate(first.aggregatorType(), first.aggregatorId());
            this.typePrefix = Keys.type(first.aggregatorType());
            this.routingPrefix = Keys.routing(first.routingKey());
            this.namePrefixes = new byte[events.size()][];
            this.values = new byte[events.size()][];
            Map<String, byte[]> names = new HashMap<>();
            for (int i = 0; i < events.size(); i++) {
                StoredEvent e = events.get(i);
                namePrefixes[i] = names.computeIfAbsent(e.name(), n -> Keys.name(first.aggregatorType(), n));
                values[i] = Records.event(e);
            }
        }

        @Override
        int weight() {
            return events.size();
        }

        @Override
        int priority() {
            return priority;
        }

        @Override
        StagedGroup.AggregateKey aggregate() {
            return aggregate;
        }

        @Override
        String describe() {
            return "writing " + events.size() + " events to " + aggregate.type() + "/" + aggregate.id();
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            StagedGroup.Head head = group.head(aggregate, aggregatePrefix, expected);
            if (head.version() != expected) {
                fail(new ConcurrencyException(aggregate.type(), aggregate.id(), expected, null));
                return;
            }
            // An aggregate keeps the routing key of its first event.
            Optional<String> routingKey = expected == 0 ? events.getFirst().routingKey() : head.routingKey();
            byte[] routing =
                    routingKey.equals(events.getFirst().routingKey()) ? routingPrefix : Keys.routing(routingKey);
            long position = group.nextPosition();
            for (int i = 0; i < events.size(); i++) {
                StoredEvent e = events.get(i);
                byte[] value =
                        e.routingKey().equals(routingKey) ? values[i] : Records.event(e.withRoutingKey(routingKey));
                group.put(store.events, Keys.position(position), value);
                group.put(
                        store.aggregates,
                        Keys.withVersion(aggregatePrefix, e.version()),
                        Records.aggregateEntry(position, routingKey));
                group.put(store.byType, Keys.withPosition(typePrefix, position), EMPTY);
                group.put(store.byName, Keys.withPosition(namePrefixes[i], position), EMPTY);
                group.put(store.byRouting, Keys.withPosition(routing, position), EMPTY);
                position++;
            }
            group.appended(aggregate, new StagedGroup.Head(events.getLast().version(), routingKey), position);
            succeed(null);
        }

        @Override
        RuntimeException inCaller(RuntimeException e) {
            if (e instanceof ConcurrencyException c) {
                return new ConcurrencyException(c.aggregatorType(), c.aggregatorId(), c.expectedVersion(), null);
            }
            return super.inCaller(e);
        }
    }
}
