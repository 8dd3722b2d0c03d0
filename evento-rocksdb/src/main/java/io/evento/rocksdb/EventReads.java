package io.evento.rocksdb;

import io.evento.Edge;
import io.evento.EventFilter;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.RoutingFilter;
import io.evento.StoreException;
import io.evento.internal.Cursors;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;

/**
 * Reads of events: pages of the global log, and the events of one aggregate.
 *
 * <h2>How a page is read</h2>
 *
 * <p>A page is a keyset scan by position: the events after (forward) or before (backward) the
 * cursor's position, in that direction, until one more match than the page size is found (to know
 * whether more follow). Where the positions come from depends on the query, and every source
 * delivers them already in position order, so a page costs about its own size, never a sort:
 *
 * <ul>
 *   <li>no filter: the events column family itself (its key is the position), or the by-routing-key
 *       index when a routing filter is given;
 *   <li>by type: the {@code (type, position)} index; by event name: {@code (type, name,
 *       position)};
 *   <li>by aggregate: the aggregates column family, in version order, which is position order
 *       within one aggregate (the single writer appends version {@code v + 1} after {@code v}).
 *       The version to start at is found by a binary search on the positions of the versions.
 * </ul>
 *
 * <p>Several filters are OR-ed: their sources are merged by position, dropping duplicates (an event
 * two filters select is read once); a filter that another makes redundant (an aggregate or event
 * name filter beside a filter on its whole type) gets no source of its own. Events found through an
 * index are fetched by position, and every candidate passes {@link ReadQuery#matches} — the
 * reference semantics — so the routing filter is applied there when event filters chose the index.
 *
 * <p>All sources of one page read from one RocksDB snapshot. Each source is an iterator, and an
 * iterator made without a snapshot sees the store as of its own creation: two of them, made a
 * moment apart while the writer commits, could disagree, and the merged page could then hold a
 * later event and miss an earlier one. With a snapshot, the page is drawn from one gap-free
 * prefix of the log.
 */
final class EventReads {
    private final Store store;
    private final String storeId;

    EventReads(Store store) {
        this.store = store;
        this.storeId = store.storeId;
    }

    Page<StoredEvent> page(ReadQuery query, Optional<Long> bound) throws RocksDBException {
        PageRequest request = query.page();
        boolean forward = request.isForward();
        // The inclusive range of positions to scan, in the direction of the read.
        long start;
        if (forward) {
            start = bound.map(b -> b == Long.MAX_VALUE ? -1L : Math.max(b + 1, 1L))
                    .orElse(1L);
        } else {
            start = bound.map(b -> b < 1 ? 0L : b - 1).orElse(Long.MAX_VALUE);
        }
        List<Edge<StoredEvent>> edges = new ArrayList<>(Math.min(request.size(), 1024));
        boolean more = false;
        if (start >= 1) {
            Snapshot snapshot = store.db.getSnapshot();
            try (ReadOptions options = new ReadOptions().setSnapshot(snapshot);
                    LogReader log = new LogReader(options, forward);
                    Source source = source(query, options, forward, start, log)) {
                for (source.first(); source.valid(); source.next()) {
                    StoredEvent event = source.event();
                    if (!query.matches(event)) {
                        continue;
                    }
                    if (edges.size() == request.size()) {
                        more = true;
                        break;
                    }
                    long position = source.position();
                    edges.add(Edge.lazy(event, () -> Cursors.encode(storeId, position)));
                }
            } finally {
                store.db.releaseSnapshot(snapshot);
            }
        }
        if (forward) {
            return Page.of(edges, request.cursor().isPresent(), more);
        }
        return Page.of(edges.reversed(), more, request.cursor().isPresent());
    }

    List<StoredEvent> aggregate(String type, String id, int afterVersion, int limit) throws RocksDBException {
        if (afterVersion == Integer.MAX_VALUE) {
            return List.of();
        }
        byte[] prefix = Keys.aggregate(type, id);
        List<StoredEvent> events = new ArrayList<>(Math.min(limit, 1024));
        // One iterator sees one consistent state; events, once indexed, are never changed.
        try (RocksIterator it = store.db.newIterator(store.aggregates)) {
            for (it.seek(Keys.withVersion(prefix, Math.max(afterVersion + 1, 1)));
                    it.isValid() && events.size() < limit;
                    it.next()) {
                byte[] key = it.key();
                if (key.length != prefix.length + 4 || !Bytes.startsWith(key, prefix)) {
                    return List.copyOf(events);
                }
                events.add(event(null, Records.aggregateEntry(it.value()).position()));
            }
            it.status();
        }
        return List.copyOf(events);
    }

    Optional<StoredEvent> lastEvent(String type, String id) throws RocksDBException {
        byte[] prefix = Keys.aggregate(type, id);
        try (RocksIterator it = store.db.newIterator(store.aggregates)) {
            it.seekForPrev(Keys.withVersion(prefix, Integer.MAX_VALUE));
            if (!it.isValid()) {
                it.status();
                return Optional.empty();
            }
            byte[] key = it.key();
            if (key.length != prefix.length + 4 || !Bytes.startsWith(key, prefix)) {
                return Optional.empty();
            }
            return Optional.of(event(null, Records.aggregateEntry(it.value()).position()));
        }
    }

    /** The event at a position, which an index says exists. */
    private StoredEvent event(ReadOptions options, long position) throws RocksDBException {
        byte[] value = options == null
                ? store.db.get(store.events, Keys.position(position))
                : store.db.get(store.events, options, Keys.position(position));
        if (value == null) {
            throw noEventAt(position);
        }
        return Records.event(value);
    }

    private static StoreException noEventAt(long position) {
        return new StoreException(
                "corrupt RocksDB store: an index refers to position " + position + ", which holds no event",
                null,
                false);
    }

    private Source source(ReadQuery query, ReadOptions options, boolean forward, long start, LogReader log) {
        List<EventFilter> filters = essential(query.filters());
        if (filters.isEmpty()) {
            return switch (query.routing()) {
                case RoutingFilter.All all -> new LogScan(options, forward, start);
                case RoutingFilter.None none ->
                    new IndexScan(store.byRouting, Keys.routing(Optional.empty()), options, forward, start, log);
                case RoutingFilter.Key key ->
                    new IndexScan(store.byRouting, Keys.routing(Optional.of(key.key())), options, forward, start, log);
            };
        }
        List<Source> sources = new ArrayList<>();
        try {
            for (EventFilter filter : filters) {
                sources.add(
                        switch (filter) {
                            case EventFilter.ByType t ->
                                new IndexScan(
                                        store.byType, Keys.type(t.aggregatorType()), options, forward, start, log);
                            case EventFilter.ByName n ->
                                new IndexScan(
                                        store.byName,
                                        Keys.name(n.aggregatorType(), n.name()),
                                        options,
                                        forward,
                                        start,
                                        log);
                            case EventFilter.ById i ->
                                new AggregateScan(
                                        Keys.aggregate(i.aggregatorType(), i.aggregatorId()),
                                        options,
                                        forward,
                                        start,
                                        log);
                        });
            }
        } catch (RuntimeException | Error e) {
            sources.forEach(Source::close);
            throw e;
        }
        return sources.size() == 1 ? sources.getFirst() : new Merge(sources, forward, log);
    }

    /** The distinct filters, without those a type filter beside them already covers. */
    static List<EventFilter> essential(List<EventFilter> filters) {
        Set<EventFilter> distinct = new LinkedHashSet<>(filters);
        Set<String> wholeTypes = new LinkedHashSet<>();
        for (EventFilter f : distinct) {
            if (f instanceof EventFilter.ByType t) {
                wholeTypes.add(t.aggregatorType());
            }
        }
        List<EventFilter> essential = new ArrayList<>();
        for (EventFilter f : distinct) {
            if (f instanceof EventFilter.ByType || !wholeTypes.contains(f.aggregatorType())) {
                essential.add(f);
            }
        }
        return essential;
    }

    /**
     * Positions in the direction of a read, from the first at or beyond the start. Call {@link
     * #first()} once, then {@link #next()} while {@link #valid()}.
     */
    private abstract static class Source implements AutoCloseable {
        // Fetches the events an index points at; null for the log itself.
        final LogReader log;
        // The current position, or -1 once the source is exhausted.
        long position = -1;

        Source(LogReader log) {
            this.log = log;
        }

        abstract void first() throws RocksDBException;

        final boolean valid() {
            return position >= 0;
        }

        final long position() {
            return position;
        }

        abstract void next() throws RocksDBException;

        /** The event at the current position. */
        StoredEvent event() throws RocksDBException {
            return log.event(position);
        }

        @Override
        public abstract void close();
    }

    /** A source over the keys of one column family that end in a position. */
    private abstract class IteratorSource extends Source {
        final RocksIterator it;
        final boolean forward;
        final long start;

        IteratorSource(ColumnFamilyHandle family, ReadOptions options, boolean forward, long start, LogReader log) {
            super(log);
            this.it = store.db.newIterator(family, options);
            this.forward = forward;
            this.start = start;
        }

        @Override
        void next() throws RocksDBException {
            if (forward) {
                it.next();
            } else {
                it.prev();
            }
            load();
        }

        /** Reads the position at the iterator, or -1 once it left the source's range. */
        final void load() throws RocksDBException {
            if (!it.isValid()) {
                it.status();
                position = -1;
                return;
            }
            position = positionAt(it.key());
        }

        abstract long positionAt(byte[] key);

        @Override
        public void close() {
            it.close();
        }
    }

    /** The events column family itself: every event. */
    private final class LogScan extends IteratorSource {
        LogScan(ReadOptions options, boolean forward, long start) {
            super(store.events, options, forward, start, null);
        }

        @Override
        void first() throws RocksDBException {
            if (forward) {
                it.seek(Keys.position(start));
            } else {
                it.seekForPrev(Keys.position(start));
            }
            load();
        }

        @Override
        long positionAt(byte[] key) {
            return Keys.positionAtEnd(key);
        }

        @Override
        StoredEvent event() {
            return Records.event(it.value());
        }
    }

    /** An index whose keys are a prefix and a position. */
    private final class IndexScan extends IteratorSource {
        private final byte[] prefix;

        IndexScan(
                ColumnFamilyHandle family,
                byte[] prefix,
                ReadOptions options,
                boolean forward,
                long start,
                LogReader log) {
            super(family, options, forward, start, log);
            this.prefix = prefix;
        }

        @Override
        void first() throws RocksDBException {
            if (forward) {
                it.seek(Keys.withPosition(prefix, start));
            } else {
                it.seekForPrev(Keys.withPosition(prefix, start));
            }
            load();
        }

        @Override
        long positionAt(byte[] key) {
            if (key.length != prefix.length + 8 || !Bytes.startsWith(key, prefix)) {
                return -1;
            }
            return Keys.positionAtEnd(key);
        }
    }

    /** One aggregate's entries in the aggregates column family, whose values hold the positions. */
    private final class AggregateScan extends IteratorSource {
        private final byte[] prefix;

        AggregateScan(byte[] prefix, ReadOptions options, boolean forward, long start, LogReader log) {
            super(store.aggregates, options, forward, start, log);
            this.prefix = prefix;
        }

        @Override
        void first() throws RocksDBException {
            int last = lastVersion();
            int version = last == 0 ? 0 : forward ? firstVersionFrom(last) : lastVersionUpTo(last);
            if (version < 1 || version > last) {
                position = -1;
                return;
            }
            it.seek(Keys.withVersion(prefix, version));
            load();
        }

        @Override
        long positionAt(byte[] key) {
            if (key.length != prefix.length + 4 || !Bytes.startsWith(key, prefix)) {
                return -1;
            }
            return Records.aggregateEntry(it.value()).position();
        }

        private int lastVersion() throws RocksDBException {
            it.seekForPrev(Keys.withVersion(prefix, Integer.MAX_VALUE));
            if (!it.isValid()) {
                it.status();
                return 0;
            }
            byte[] key = it.key();
            return key.length == prefix.length + 4 && Bytes.startsWith(key, prefix) ? Keys.versionAtEnd(key) : 0;
        }

        /** The lowest version whose position is at least {@code start}, or {@code last + 1}. */
        private int firstVersionFrom(int last) throws RocksDBException {
            if (start <= 1) {
                return 1;
            }
            int low = 1;
            int high = last + 1;
            while (low < high) {
                int middle = (low + high) >>> 1;
                if (positionOf(middle) >= start) {
                    high = middle;
                } else {
                    low = middle + 1;
                }
            }
            return low;
        }

        /** The highest version whose position is at most {@code start}, or 0. */
        private int lastVersionUpTo(int last) throws RocksDBException {
            if (start == Long.MAX_VALUE) {
                return last;
            }
            int low = 0;
            int high = last;
            while (low < high) {
                int middle = (int) (((long) low + high + 1) >>> 1);
                if (positionOf(middle) <= start) {
                    low = middle;
                } else {
                    high = middle - 1;
                }
            }
            return low;
        }

        private long positionOf(int version) throws RocksDBException {
            byte[] key = Keys.withVersion(prefix, version);
            it.seek(key);
            if (!it.isValid()) {
                it.status();
                throw missingVersion(version);
            }
            if (!Arrays.equals(it.key(), key)) {
                throw missingVersion(version);
            }
            return Records.aggregateEntry(it.value()).position();
        }

        private StoreException missingVersion(int version) {
            return new StoreException(
                    "corrupt RocksDB store: an aggregate misses version " + version + " in its index", null, false);
        }
    }

    /** Several sources merged by position, each position once. */
    private final class Merge extends Source {
        private final List<Source> sources;
        private final boolean forward;

        Merge(List<Source> sources, boolean forward, LogReader log) {
            super(log);
            this.sources = sources;
            this.forward = forward;
        }

        @Override
        void first() throws RocksDBException {
            for (Source source : sources) {
                source.first();
            }
            pick();
        }

        @Override
        void next() throws RocksDBException {
            for (Source source : sources) {
                if (source.valid() && source.position() == position) {
                    source.next();
                }
            }
            pick();
        }

        private void pick() {
            long best = -1;
            for (Source source : sources) {
                if (source.valid() && (best < 0 || (forward ? source.position() < best : source.position() > best))) {
                    best = source.position();
                }
            }
            position = best;
        }

        @Override
        public void close() {
            sources.forEach(Source::close);
        }
    }

    /**
     * Fetches the events an index points at, in the direction of the read, by walking one iterator
     * over the events column family alongside the index rather than making a point lookup per
     * event. The events of one type, name or routing key often sit close together in the log, and
     * stepping an iterator a few entries costs far less than a lookup (measured: a catch-up by type
     * read twice as fast). Further than {@link #MAX_STEPS} entries away, it seeks. It reads through
     * the page's snapshot, like the index.
     */
    private final class LogReader implements AutoCloseable {
        private static final int MAX_STEPS = 8;

        private final ReadOptions options;
        private final boolean forward;
        private RocksIterator it;
        /** The position at the iterator, or -1 when it is not on an event. */
        private long at = -1;

        LogReader(ReadOptions options, boolean forward) {
            this.options = options;
            this.forward = forward;
        }

        StoredEvent event(long position) throws RocksDBException {
            if (it == null) {
                it = store.db.newIterator(store.events, options);
            }
            for (int step = 0; step < MAX_STEPS && at >= 0 && (forward ? at < position : at > position); step++) {
                if (forward) {
                    it.next();
                } else {
                    it.prev();
                }
                at = it.isValid() ? Keys.positionAtEnd(it.key()) : -1;
            }
            if (at != position) {
                it.seek(Keys.position(position));
                at = it.isValid() ? Keys.positionAtEnd(it.key()) : -1;
                if (at != position) {
                    it.status();
                    throw noEventAt(position);
                }
            }
            return Records.event(it.value());
        }

        @Override
        public void close() {
            if (it != null) {
                it.close();
            }
        }
    }
}
