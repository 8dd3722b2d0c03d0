package io.evento;

import io.evento.internal.EventTypes;
import io.evento.internal.Micros;
import io.evento.internal.Validation;
import io.evento.spi.Executor;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point: commits events to aggregates and loads projections, on top of an {@link
 * Executor}.
 *
 * <pre>{@code
 * Evento evento = Evento.builder(SqliteExecutor.open(Path.of("events.db")))
 *         .register(Account.class)
 *         .build();
 * String id = evento.create().event(new AccountOpened("Alice", 100)).commit();
 * Optional<Loaded<Balance>> balance = evento.load(Balance.PROJECTION, id);
 * }</pre>
 *
 * <p>Thread-safe and cheap to share; create one per store. It does not own the executor: close
 * the executor when the application stops.
 */
public final class Evento {
    private static final Logger LOG = LoggerFactory.getLogger(Evento.class);

    private final Executor executor;
    private final EventTypes types;
    private final Codec codec;
    private final Clock clock;
    private final Map<Class<?>, Object> data;
    private final Map<String, Upcaster> upcasters;
    private final Set<String> snapshotWrites = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.Semaphore snapshotSlots = new java.util.concurrent.Semaphore(4);
    /** "type\0name" of every stored name some upcaster rewrites: the rest skip the upcast path. */
    private final Set<String> upcastNames;

    /** See {@link #metadata(byte[])}. */
    private volatile DecodedMetadata lastMetadata;

    private Evento(Builder b) {
        this.executor = b.executor;
        this.types = EventTypes.of(b.families);
        this.codec = b.codec;
        // Before the first commit, not after it: an event the codec cannot read back would be
        // stored, then fail every load, page and subscription that meets it.
        types.eventClasses().forEach(codec::vet);
        this.clock = b.clock;
        this.data = Map.copyOf(b.data);
        this.upcasters = Map.copyOf(b.upcasters);
        Set<String> names = new HashSet<>();
        for (String key : upcasters.keySet()) {
            String typeAndName = key.substring(0, key.lastIndexOf('\0'));
            names.add(typeAndName);
            // The former names of an upcast event take the same path.
            String type = typeAndName.substring(0, typeAndName.indexOf('\0'));
            String name = typeAndName.substring(typeAndName.indexOf('\0') + 1);
            types.storedNames(type, name).forEach(alias -> names.add(type + '\0' + alias));
        }
        this.upcastNames = Set.copyOf(names);
    }

    /**
     * Starts configuring an Evento over an executor.
     *
     * @param executor the store
     * @return the builder
     */
    public static Builder builder(Executor executor) {
        return new Builder(executor);
    }

    /**
     * A commit creating a new aggregate with a fresh ULID as its id.
     *
     * @return the commit builder
     */
    public CommitBuilder create() {
        return new CommitBuilder(this, null);
    }

    /**
     * A commit appending to the aggregate {@code id} (or creating it, with {@code originalVersion(0)}).
     *
     * <p>With {@link CommitBuilder#originalVersion(int)} the commit fails with {@link
     * ConcurrencyException} unless the aggregate is at that version. Without it, the events are
     * appended after whatever the aggregate holds when the commit runs.
     *
     * @param id the aggregate id
     * @return the commit builder
     */
    public CommitBuilder aggregator(String id) {
        return new CommitBuilder(this, Validation.id("aggregator id", id));
    }

    /**
     * Hashes several ids into one aggregate id (SHA3-256 over each part's length and UTF-8 bytes,
     * lowercase hex), for aggregates identified by a combination, such as a membership of a user in
     * a group. The same parts in the same order always give the same id; different parts or another
     * order give another id.
     *
     * @param parts one or more ids
     * @return a 64-character hex id
     */
    public static String ids(String... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("ids(..) needs at least one id");
        }
        try {
            MessageDigest sha3 = MessageDigest.getInstance("SHA3-256");
            for (String part : parts) {
                byte[] bytes = Objects.requireNonNull(part, "id part").getBytes(StandardCharsets.UTF_8);
                // Length-prefixed (8 bytes, big-endian, as Evento does) so ("ab", "c") and ("a", "bc")
                // do not collide.
                sha3.update(
                        ByteBuffer.allocate(Long.BYTES).putLong(bytes.length).array());
                sha3.update(bytes);
            }
            return HexFormat.of().formatHex(sha3.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA3-256", e);
        }
    }

    /**
     * Folds every event of one aggregate into a projection's state.
     *
     * @param projection the projection
     * @param id the aggregate id (of the projection's family)
     * @param <S> the state type
     * @return the state with the aggregate's version and routing key, or empty if the aggregate has
     *     no events
     */
    public <S> Optional<Loaded<S>> load(Projection<S> projection, String id) {
        projection.requireRegistered(this);
        return projection.load(this, AggregateRef.of(projection.family(), id), List.of());
    }

    /**
     * Folds the events of one aggregate and of related aggregates into a projection's state. Events
     * of each aggregate are applied in version order; events of different aggregates are interleaved
     * by commit time.
     *
     * @param projection the projection
     * @param id the main aggregate id: its version and routing key are returned
     * @param related other aggregates whose events the projection also handles
     * @param <S> the state type
     * @return the state, or empty if the main aggregate has no events
     */
    public <S> Optional<Loaded<S>> load(Projection<S> projection, String id, AggregateRef... related) {
        projection.requireRegistered(this);
        AggregateRef main = AggregateRef.of(projection.family(), id);
        List<AggregateRef> others = List.of(related);
        others.forEach(ref -> requireRegistered(ref.family()));
        if (others.contains(main) || others.stream().distinct().count() != others.size()) {
            throw new IllegalArgumentException("an aggregate is named twice in one load: " + main + " and " + others
                    + "; its events would be folded twice");
        }
        return projection.load(this, main, others);
    }

    /**
     * Loads an aggregate as it was at a point in its past: time travel. A snapshot is used only if
     * it is not newer than the point; nothing is saved.
     *
     * @param projection the projection
     * @param id the aggregate id
     * @param asOf the point: a version, a time or a position of the global log
     * @param <S> the state type
     * @return the state then, or empty if the aggregate had no event yet
     * @throws InvalidCursorException if a position's cursor is not one of this store's
     */
    public <S> Optional<Loaded<S>> load(Projection<S> projection, String id, AsOf asOf) {
        Objects.requireNonNull(asOf, "asOf");
        projection.requireRegistered(this);
        return projection.loadOne(this, AggregateRef.of(projection.family(), id), asOf, false);
    }

    /**
     * Loads an aggregate and saves a snapshot of the projection's state before returning, whatever
     * the projection's policy.
     *
     * @param projection a projection with {@linkplain Projection.Builder#snapshots snapshots}
     * @param id the aggregate id
     * @param <S> the state type
     * @return the state, or empty if the aggregate has no event (nothing is saved then)
     * @throws IllegalStateException if the projection has no snapshots configured
     */
    public <S> Optional<Loaded<S>> snapshot(Projection<S> projection, String id) {
        projection.requireRegistered(this);
        return projection.snapshotNow(this, id);
    }

    /** Saves a snapshot off the loading thread; at most one write per snapshot key at a time. */
    void saveSnapshotInBackground(StoredSnapshot snapshot) {
        String key = snapshot.projection() + '\0' + snapshot.aggregatorType() + '\0' + snapshot.aggregatorId();
        if (!snapshotWrites.add(key)) {
            return;
        }
        // A burst of loads must not turn into a burst of writes competing with them for
        // connections: beyond a few at a time, skip; a later load saves the snapshot instead.
        if (!snapshotSlots.tryAcquire()) {
            snapshotWrites.remove(key);
            return;
        }
        Thread.ofVirtual().name("evento-snapshot").start(() -> {
            try {
                executor.saveSnapshot(snapshot);
            } catch (RuntimeException e) {
                LOG.warn(
                        "could not save the snapshot of projection '{}' for {}/{}; loads go on without it",
                        snapshot.projection(),
                        snapshot.aggregatorType(),
                        snapshot.aggregatorId(),
                        e);
            } finally {
                snapshotSlots.release();
                snapshotWrites.remove(key);
            }
        });
    }

    /**
     * Reads a page of the global log with payloads decoded.
     *
     * @param query filters, routing filter and page
     * @return the page
     * @throws IllegalArgumentException if a filter names an aggregate type no registered family
     *     declares
     * @throws EventDecodingException if an event in the page cannot be decoded
     */
    public Page<Event<?>> read(ReadQuery query) {
        requireRegistered(query);
        Page<StoredEvent> page = executor.read(query);
        if (upcasters.isEmpty()) {
            return page.map(this::decode);
        }
        // An upcast event can stand for several events, or none: each keeps its stored event's
        // cursor, and the page keeps its own cursors so paging goes on past a dropped event.
        List<Edge<Event<?>>> edges = new ArrayList<>();
        for (Edge<StoredEvent> edge : page.edges()) {
            decodeAll(edge.node()).forEach(e -> edges.add(edge.map(stored -> e)));
        }
        return new Page<>(edges, page.pageInfo());
    }

    /**
     * Every event matching a query, as a lazy stream: pages of {@code query.page().size()} events are
     * read one at a time as the stream is consumed, starting after the query's cursor, so memory stays
     * flat over millions of events. The stream ends at the last event readable when it gets there;
     * use {@link #tail(ReadQuery)} to keep following the log.
     *
     * @param query filters, routing filter, page size and starting cursor; forward only
     * @return the events in global order
     * @throws IllegalArgumentException if the page request is backward, or a filter names an
     *     aggregate type no registered family declares
     * @throws EventDecodingException (while consuming) if an event cannot be decoded
     */
    public Stream<Event<?>> stream(ReadQuery query) {
        Objects.requireNonNull(query, "query");
        if (!query.page().isForward()) {
            throw new IllegalArgumentException("a stream reads forward; use PageRequest.forward(..)");
        }
        requireRegistered(query);
        Iterator<StoredEvent> pages = new Iterator<>() {
            private Iterator<StoredEvent> page = java.util.Collections.emptyIterator();
            private Optional<String> cursor = query.page().cursor();
            private boolean last;

            @Override
            public boolean hasNext() {
                while (!page.hasNext() && !last) {
                    Page<StoredEvent> next = executor.read(new ReadQuery(
                            query.filters(),
                            query.routing(),
                            new PageRequest(
                                    PageRequest.Direction.FORWARD, query.page().size(), cursor)));
                    page = next.nodes().iterator();
                    last = !next.pageInfo().hasNextPage() || next.isEmpty();
                    cursor = next.pageInfo().endCursor().or(() -> cursor);
                }
                return page.hasNext();
            }

            @Override
            public StoredEvent next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return page.next();
            }
        };
        return StreamSupport.stream(
                        Spliterators.spliteratorUnknownSize(pages, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .flatMap(stored -> decodeAll(stored).stream());
    }

    /**
     * Follows the log live: the events matching a query after its cursor, then each new one as it
     * is committed, without a durable checkpoint (use a {@link #subscription(String) subscription}
     * for that). Close the tail when done.
     *
     * @param query filters, routing filter, page size and starting cursor; forward only
     * @return the tail
     * @throws IllegalArgumentException if the page request is backward, or a filter names an
     *     aggregate type no registered family declares
     */
    public EventTail tail(ReadQuery query) {
        requireRegistered(Objects.requireNonNull(query, "query"));
        return new EventTail(this, query, Duration.ofSeconds(1));
    }

    /**
     * Starts defining a subscription: continuous, checkpointed processing of the log.
     *
     * @param key a stable name for the subscription; its checkpoint and lease are stored under it
     * @return the builder
     * @see Subscription
     */
    public Subscription.Builder subscription(String key) {
        return new Subscription.Builder(this, key);
    }

    /**
     * The clock that timestamps events; use it for business rules about time ("today") so they
     * agree with the stored timestamps.
     *
     * @return the clock
     */
    public Clock clock() {
        return clock;
    }

    /**
     * The executor this Evento writes to and reads from.
     *
     * @return the executor
     */
    public Executor executor() {
        return executor;
    }

    /**
     * Decodes a stored event into its registered record class, through the {@linkplain Upcaster
     * upcasters} and {@linkplain EventName#aliases() aliases}.
     *
     * @param stored the stored event
     * @return the decoded event
     * @throws EventDecodingException if the name is not registered, the bytes do not decode, or
     *     upcasting turns it into no event or several (use {@link #decodeAll(StoredEvent)})
     */
    public Event<?> decode(StoredEvent stored) {
        List<Event<?>> all = decodeAll(stored);
        if (all.size() != 1) {
            throw decodingError(stored, "upcasting turns it into " + all.size() + " events; use decodeAll", null);
        }
        return all.getFirst();
    }

    /**
     * Decodes a stored event into the events it stands for today: one, or none or several when an
     * {@link Upcaster} drops or splits it.
     *
     * @param stored the stored event
     * @return the decoded events
     * @throws EventDecodingException if a name is not registered or the bytes do not decode
     */
    public List<Event<?>> decodeAll(StoredEvent stored) {
        List<Resolved> resolved = resolve(stored);
        List<Event<?>> events = new ArrayList<>(resolved.size());
        for (Resolved r : resolved) {
            EventTypes.Descriptor d = r.descriptor()
                    .orElseThrow(() -> decodingError(stored, "no registered event has the name " + r.name(), null));
            events.add(decode(r, d.type()));
        }
        return events;
    }

    /**
     * One event a stored event stands for, after upcasting, its payload not decoded yet: loads and
     * subscriptions decode only what they handle.
     */
    record Resolved(
            StoredEvent stored, String id, String name, byte[] data, Optional<EventTypes.Descriptor> descriptor) {}

    List<Resolved> resolve(StoredEvent stored) {
        String type = stored.aggregatorType();
        if (upcasters.isEmpty() || !upcastNames.contains(type + '\0' + stored.name())) {
            return List.of(
                    new Resolved(stored, stored.id(), stored.name(), stored.data(), current(type, stored.name())));
        }
        int version;
        try {
            version = MetadataJson.decodeStored(stored.metadata()).eventVersion();
        } catch (Exception e) {
            throw decodingError(stored, "metadata is not valid: " + rootMessage(e), e);
        }
        List<EventShape> shapes = new ArrayList<>();
        upcast(stored, new EventShape(stored.name(), version, stored.data()), 0, shapes);
        List<Resolved> resolved = new ArrayList<>(shapes.size());
        for (int i = 0; i < shapes.size(); i++) {
            EventShape shape = shapes.get(i);
            resolved.add(new Resolved(
                    stored,
                    i == 0 ? stored.id() : stored.id() + "/" + i,
                    shape.name(),
                    shape.data(),
                    current(type, shape.name())));
        }
        return resolved;
    }

    private Optional<EventTypes.Descriptor> current(String type, String name) {
        return types.resolve(type, name);
    }

    private void upcast(StoredEvent stored, EventShape shape, int depth, List<EventShape> out) {
        String type = stored.aggregatorType();
        Upcaster upcaster = upcasters.get(upcasterKey(type, shape.name(), shape.version()));
        if (upcaster == null) {
            // An event stored under a former name goes through the upcasters of its current name.
            upcaster = current(type, shape.name())
                    .filter(d -> !d.name().equals(shape.name()))
                    .map(d -> upcasters.get(upcasterKey(type, d.name(), shape.version())))
                    .orElse(null);
        }
        if (upcaster == null) {
            out.add(shape);
            return;
        }
        if (depth == 64) {
            throw decodingError(stored, "upcasters go round in circles at " + shape, null);
        }
        List<EventShape> next;
        try {
            next = List.copyOf(upcaster.upcast(shape));
        } catch (RuntimeException e) {
            throw decodingError(
                    stored,
                    "the upcaster of " + shape.name() + " v" + shape.version() + " failed: " + rootMessage(e),
                    e);
        }
        for (EventShape n : next) {
            if (n.version() == shape.version() && current(type, n.name()).equals(current(type, shape.name()))) {
                // Rewritten in place (same event, same version): done, or it would be rewritten again.
                out.add(n);
            } else {
                upcast(stored, n, depth + 1, out);
            }
        }
    }

    static String upcasterKey(String type, String name, int version) {
        return type + '\0' + name + '\0' + version;
    }

    <E> Event<E> decode(StoredEvent stored, Class<E> type) {
        return decode(new Resolved(stored, stored.id(), stored.name(), stored.data(), Optional.empty()), type);
    }

    <E> Event<E> decode(Resolved r, Class<E> type) {
        StoredEvent stored = r.stored();
        E payload;
        try {
            payload = codec.decode(r.data(), type);
        } catch (RuntimeException e) {
            throw decodingError(stored, "payload is not a valid " + type.getSimpleName() + ": " + rootMessage(e), e);
        }
        if (payload == null) {
            throw decodingError(stored, "payload decoded to null", null);
        }
        Metadata metadata;
        try {
            metadata = metadata(stored.metadata());
        } catch (Exception e) {
            throw decodingError(stored, "metadata is not valid: " + rootMessage(e), e);
        }
        return new Event<>(
                r.id(),
                stored.aggregatorType(),
                stored.aggregatorId(),
                stored.version(),
                r.descriptor().map(EventTypes.Descriptor::name).orElse(r.name()),
                stored.routingKey(),
                payload,
                metadata,
                Micros.toInstant(stored.timestampMicros()));
    }

    /**
     * The metadata stored as {@code bytes}. The events of one commit share their metadata, and
     * catch-ups and loads decode them one after the other, so the last decoded metadata is kept
     * and reused when the next event's bytes are the same (a comparison of a few dozen bytes
     * instead of a parse). Metadata is immutable; a race between threads only costs a parse.
     */
    private Metadata metadata(byte[] bytes) throws IOException {
        DecodedMetadata last = lastMetadata;
        if (last != null && Arrays.equals(last.bytes(), bytes)) {
            return last.metadata();
        }
        Metadata metadata = MetadataJson.decode(bytes);
        lastMetadata = new DecodedMetadata(bytes.clone(), metadata);
        return metadata;
    }

    private record DecodedMetadata(byte[] bytes, Metadata metadata) {}

    private static EventDecodingException decodingError(StoredEvent s, String problem, Throwable cause) {
        return new EventDecodingException(
                s.id(), s.aggregatorType(), s.aggregatorId(), s.version(), s.name(), problem, cause);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return String.valueOf(root.getMessage()).lines().findFirst().orElse("");
    }

    EventTypes types() {
        return types;
    }

    /**
     * Refuses a family this Evento does not know: the README's promise that a forgotten {@code
     * register(..)} is an error naming what to register, not an empty state or an empty page.
     */
    void requireRegistered(Class<?> family) {
        if (!types.isRegisteredFamily(family)) {
            throw new IllegalArgumentException(family.getName() + " is not registered with this Evento; add it with"
                    + " Evento.builder(..).register(" + family.getSimpleName() + ".class)");
        }
    }

    private void requireRegistered(ReadQuery query) {
        for (EventFilter filter : query.filters()) {
            if (!types.isRegisteredType(filter.aggregatorType())) {
                throw new IllegalArgumentException("the filter " + filter + " names the aggregate type '"
                        + filter.aggregatorType() + "', which no registered family declares; register the"
                        + " sealed interface annotated with @Aggregate(\"" + filter.aggregatorType()
                        + "\") with Evento.builder(..).register(..)");
            }
        }
    }

    Codec codec() {
        return codec;
    }

    long nowMicros() {
        return Micros.of(clock.instant());
    }

    <T> Optional<T> data(Class<T> type) {
        Object exact = data.get(type);
        if (exact != null) {
            return Optional.of(type.cast(exact));
        }
        return data.values().stream().filter(type::isInstance).map(type::cast).findFirst();
    }

    /** Configures an {@link Evento}. */
    public static final class Builder {
        private final Executor executor;
        private final List<Class<?>> families = new ArrayList<>();
        private final Map<Class<?>, Object> data = new LinkedHashMap<>();
        private final Map<String, Upcaster> upcasters = new LinkedHashMap<>();
        private final List<Class<?>> upcastFamilies = new ArrayList<>();
        private Codec codec;
        private Clock clock = Clock.systemUTC();

        private Builder(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
        }

        /**
         * Registers event families: sealed interfaces annotated with {@link Aggregate}, whose
         * permitted classes (through nested sealed interfaces) are records. Only events of
         * registered families can be committed, decoded, read by type, loaded or subscribed to;
         * everywhere else a family that was not registered is an {@link IllegalArgumentException}
         * naming it. {@link #build()} then has the {@linkplain Codec#vet(Class) codec vet} every
         * record, so an event that would not read back is refused before it is stored.
         *
         * @param families the sealed interfaces
         * @return this builder
         * @throws IllegalArgumentException if a class is not an annotated sealed interface, permits a
         *     class that is not a record or a non-sealed interface, or two events share a name
         */
        public Builder register(Class<?>... families) {
            for (Class<?> family : families) {
                EventTypes.check(family);
                this.families.add(family);
            }
            return this;
        }

        /**
         * Sets the payload codec; the default is {@link Codec#json()}.
         *
         * @param codec the codec
         * @return this builder
         * @throws IllegalStateException if a codec was already set
         */
        public Builder codec(Codec codec) {
            if (this.codec != null) {
                throw new IllegalStateException("codec was already set to " + this.codec);
            }
            this.codec = Objects.requireNonNull(codec, "codec");
            return this;
        }

        /**
         * Sets the clock used to timestamp events; the default is the UTC system clock.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Shares a value with projection handlers, which find it by type through their context, as
         * Evento's {@code data}. Typical values: a currency converter, a configuration record.
         *
         * @param value the value; one per class
         * @return this builder
         * @throws IllegalStateException if a value of the same class was already shared
         */
        public Builder data(Object value) {
            Objects.requireNonNull(value, "value");
            Object previous = data.putIfAbsent(value.getClass(), value);
            if (previous != null) {
                throw new IllegalStateException(
                        "data of type " + value.getClass().getName() + " was already set to " + previous);
            }
            return this;
        }

        /**
         * Registers an {@link Upcaster} for events stored under {@code eventName} at schema version
         * {@code fromVersion} (see {@link EventVersion}; events written before versions existed are
         * version 1). The name may be a former name that no record carries any more.
         *
         * @param family the event family the events belong to
         * @param eventName the stored event name
         * @param fromVersion the stored schema version it rewrites
         * @param upcaster the upcaster
         * @return this builder
         * @throws IllegalStateException if an upcaster for that name and version is registered already
         */
        public Builder upcaster(Class<?> family, String eventName, int fromVersion, Upcaster upcaster) {
            String type = EventTypes.aggregatorTypeOf(family);
            Validation.name("eventName", eventName);
            if (fromVersion < 1) {
                throw new IllegalArgumentException("fromVersion must be at least 1, was " + fromVersion);
            }
            Objects.requireNonNull(upcaster, "upcaster");
            if (upcasters.putIfAbsent(upcasterKey(type, eventName, fromVersion), upcaster) != null) {
                throw new IllegalStateException(
                        "an upcaster for " + type + " " + eventName + " v" + fromVersion + " is registered already");
            }
            upcastFamilies.add(family);
            return this;
        }

        /**
         * Builds the Evento.
         *
         * @return the configured Evento
         * @throws IllegalArgumentException if two families declare the same aggregate type, event
         *     names clash, or the codec cannot read back an event record (naming the record and its
         *     component)
         */
        public Evento build() {
            if (codec == null) {
                codec = Codec.json();
            }
            for (Class<?> family : upcastFamilies) {
                if (!families.contains(family)) {
                    throw new IllegalStateException("an upcaster is registered for " + family.getName()
                            + ", which is not registered; add it with register(..)");
                }
            }
            return new Evento(this);
        }
    }
}
