package io.evento;

import io.evento.internal.EventTypes;
import io.evento.internal.Validation;
import io.evento.spi.Executor;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

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
    private final Executor executor;
    private final EventTypes types;
    private final Codec codec;
    private final Clock clock;
    private final Map<Class<?>, Object> data;

    private Evento(Builder b) {
        this.executor = b.executor;
        this.types = EventTypes.of(b.families);
        this.codec = b.codec;
        this.clock = b.clock;
        this.data = Map.copyOf(b.data);
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
        AggregateRef main = AggregateRef.of(projection.family(), id);
        List<AggregateRef> others = List.of(related);
        if (others.contains(main) || others.stream().distinct().count() != others.size()) {
            throw new IllegalArgumentException("an aggregate is named twice in one load: " + main + " and " + others
                    + "; its events would be folded twice");
        }
        return projection.load(this, main, others);
    }

    /**
     * Reads a page of the global log with payloads decoded.
     *
     * @param query filters, routing filter and page
     * @return the page
     * @throws EventDecodingException if an event in the page cannot be decoded
     */
    public Page<Event<?>> read(ReadQuery query) {
        return executor.read(query).map(this::decode);
    }

    /**
     * Every event matching a query, as a lazy stream: pages of {@code query.page().size()} events are
     * read one at a time as the stream is consumed, starting after the query's cursor, so memory stays
     * flat over millions of events. The stream ends at the last event readable when it gets there;
     * use {@link #tail(ReadQuery)} to keep following the log.
     *
     * @param query filters, routing filter, page size and starting cursor; forward only
     * @return the events in global order
     * @throws IllegalArgumentException if the page request is backward
     * @throws EventDecodingException (while consuming) if an event cannot be decoded
     */
    public Stream<Event<?>> stream(ReadQuery query) {
        Objects.requireNonNull(query, "query");
        if (!query.page().isForward()) {
            throw new IllegalArgumentException("a stream reads forward; use PageRequest.forward(..)");
        }
        Iterator<Event<?>> pages = new Iterator<>() {
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
            public Event<?> next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return decode(page.next());
            }
        };
        return StreamSupport.stream(
                Spliterators.spliteratorUnknownSize(pages, Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    /**
     * Follows the log live: the events matching a query after its cursor, then each new one as it
     * is committed, without a durable checkpoint (use a {@link #subscription(String) subscription}
     * for that). Close the tail when done.
     *
     * @param query filters, routing filter, page size and starting cursor; forward only
     * @return the tail
     * @throws IllegalArgumentException if the page request is backward
     */
    public EventTail tail(ReadQuery query) {
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
     * Decodes a stored event into its registered record class.
     *
     * @param stored the stored event
     * @return the decoded event
     * @throws EventDecodingException if the name is not registered or the bytes do not decode
     */
    public Event<?> decode(StoredEvent stored) {
        EventTypes.Descriptor d = types.resolve(stored.aggregatorType(), stored.name())
                .orElseThrow(() -> decodingError(stored, "no registered event has this name", null));
        return decode(stored, d.type());
    }

    <E> Event<E> decode(StoredEvent stored, Class<E> type) {
        E payload;
        try {
            payload = codec.decode(stored.data(), type);
        } catch (RuntimeException e) {
            throw decodingError(stored, "payload is not a valid " + type.getSimpleName() + ": " + rootMessage(e), e);
        }
        if (payload == null) {
            throw decodingError(stored, "payload decoded to null", null);
        }
        Metadata metadata;
        try {
            metadata = MetadataJson.decode(stored.metadata());
        } catch (Exception e) {
            throw decodingError(stored, "metadata is not valid: " + rootMessage(e), e);
        }
        return new Event<>(
                stored.id(),
                stored.aggregatorType(),
                stored.aggregatorId(),
                stored.version(),
                stored.name(),
                stored.routingKey(),
                payload,
                metadata,
                Instant.ofEpochSecond(
                        Math.floorDiv(stored.timestampMicros(), 1_000_000L),
                        Math.floorMod(stored.timestampMicros(), 1_000_000L) * 1_000L));
    }

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

    Codec codec() {
        return codec;
    }

    long nowMicros() {
        Instant now = clock.instant();
        return Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000L), now.getNano() / 1_000);
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
        private Codec codec;
        private Clock clock = Clock.systemUTC();

        private Builder(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
        }

        /**
         * Registers event families: sealed interfaces annotated with {@link Aggregate}. Only events of
         * registered families can be committed or decoded.
         *
         * @param families the sealed interfaces
         * @return this builder
         * @throws IllegalArgumentException if a class is not an annotated sealed interface
         */
        public Builder register(Class<?>... families) {
            for (Class<?> family : families) {
                EventTypes.aggregatorTypeOf(family);
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
         * Builds the Evento.
         *
         * @return the configured Evento
         * @throws IllegalArgumentException if two families declare the same aggregate type or event
         *     names clash
         */
        public Evento build() {
            if (codec == null) {
                codec = Codec.json();
            }
            return new Evento(this);
        }
    }
}
