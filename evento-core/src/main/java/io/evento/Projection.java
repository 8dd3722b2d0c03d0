package io.evento;

import io.evento.internal.EventTypes;
import io.evento.internal.Micros;
import io.evento.internal.Validation;
import io.evento.spi.Executor;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How to fold an aggregate's events into a state: an initial state and one handler per event type.
 * Define it once (a constant) and load it with {@link Evento#load(Projection, String)}.
 *
 * <pre>{@code
 * static final Projection<Balance> BALANCE = Projection.builder("balance", Account.class, () -> new Balance(0))
 *         .on(AccountOpened.class, (state, e) -> new Balance(e.data().initialBalance()))
 *         .on(MoneyDeposited.class, (state, e) -> state.plus(e.data().amount()))
 *         .skip(AccountRenamed.class)
 *         .safetyCheck()
 *         .build();
 * }</pre>
 *
 * <p>A handler registered for the family itself receives all its events, which suits a fold
 * written as an exhaustive {@code switch} over the sealed interface. Handlers return the next state:
 * records fold immutably; a mutable state may be changed in place and returned. Registered types
 * may overlap: an event goes to the most specific one it is an instance of (its record, else the
 * nearest sealed sub-family, else the family), whatever the order of registration; a skipped type
 * takes part like a handler.
 *
 * <p>Loading reads every event of the aggregate, page by page, however many there are. Events
 * without a handler are skipped, unless the {@linkplain Builder#safetyCheck() safety check} is on,
 * which turns them into an {@link UnhandledEventException}.
 *
 * @param <S> the state type
 */
public final class Projection<S> {
    private static final Logger LOG = LoggerFactory.getLogger(Projection.class);

    /** How many events a load reads per round trip. */
    private static final int LOAD_PAGE = 1_000;

    /**
     * A handler folding one event into the state.
     *
     * @param <S> the state type
     * @param <E> the event type
     */
    @FunctionalInterface
    public interface Handler<S, E> {
        /**
         * Applies the event.
         *
         * @param state the state so far
         * @param event the event
         * @return the next state, never {@code null}
         */
        S apply(S state, Event<E> event);
    }

    /**
     * A handler that also needs shared data (see {@link Evento.Builder#data(Object)}).
     *
     * @param <S> the state type
     * @param <E> the event type
     */
    @FunctionalInterface
    public interface ContextHandler<S, E> {
        /**
         * Applies the event.
         *
         * @param state the state so far
         * @param event the event
         * @param context access to shared data
         * @return the next state, never {@code null}
         */
        S apply(S state, Event<E> event, Context context);
    }

    /** What a {@link ContextHandler} can reach besides its state and event. */
    public interface Context {
        /**
         * The shared value of this type, registered with {@link Evento.Builder#data(Object)}.
         *
         * @param type the value's class (or a supertype of it)
         * @param <T> the value type
         * @return the value
         * @throws IllegalStateException if no such value was shared
         */
        <T> T data(Class<T> type);
    }

    private final String key;
    private final Class<?> family;
    private final Supplier<? extends S> initial;
    private final HandlerTable<ContextHandler<S, Object>> table;
    private final boolean safetyCheck;
    private final Class<S> stateType;
    private final String revision;
    private final SnapshotPolicy policy;

    private Projection(Builder<S> b) {
        this.key = b.key;
        this.family = b.family;
        this.initial = b.initial;
        this.table = b.table.build();
        this.safetyCheck = b.safetyCheck;
        this.stateType = b.stateType;
        this.revision = b.revision;
        this.policy = b.policy;
    }

    /**
     * Starts a projection.
     *
     * @param key a stable name for the projection (used for snapshots and in error messages)
     * @param family the main aggregate's sealed event interface
     * @param initial the state before the first event
     * @param <S> the state type
     * @return the builder
     */
    public static <S> Builder<S> builder(String key, Class<?> family, Supplier<? extends S> initial) {
        return new Builder<>(key, family, initial);
    }

    /**
     * The projection's key.
     *
     * @return the key
     */
    public String key() {
        return key;
    }

    /**
     * The main aggregate's event family.
     *
     * @return the sealed interface
     */
    public Class<?> family() {
        return family;
    }

    /**
     * Whether loads of this projection use and save snapshots.
     *
     * @return {@code true} if built with {@link Builder#snapshots}
     */
    public boolean snapshotted() {
        return stateType != null;
    }

    Optional<Loaded<S>> load(Evento evento, AggregateRef main, List<AggregateRef> related) {
        String mainType = main.aggregatorType();
        if (related.isEmpty()) {
            return loadOne(evento, main, null, true);
        }
        Fold fold = new Fold(evento, mainType, main.id());
        List<StoredEvent> all = new ArrayList<>();
        forEachEvent(evento, mainType, main.id(), all::add);
        for (AggregateRef ref : related) {
            forEachEvent(evento, ref.aggregatorType(), ref.id(), all::add);
        }
        // Stable sort: each aggregate stays in version order, aggregates interleave by time.
        all.sort(Comparator.comparingLong(StoredEvent::timestampMicros));
        all.forEach(fold::apply);
        return fold.result();
    }

    /**
     * Loads one aggregate, up to {@code asOf} if given, from a snapshot when there is a usable one.
     * Only loads of the present ({@code asOf == null}) save snapshots, per the policy.
     */
    Optional<Loaded<S>> loadOne(Evento evento, AggregateRef main, AsOf asOf, boolean mayPersist) {
        String type = main.aggregatorType();
        String id = main.id();
        int versionBound = Integer.MAX_VALUE;
        long timeBound = Long.MAX_VALUE;
        switch (asOf) {
            case null -> {}
            case AsOf.Version v -> versionBound = v.version();
            case AsOf.Time t -> timeBound = Micros.of(t.time());
            case AsOf.Position p -> {
                versionBound = versionAtPosition(evento, type, id, p.cursor());
                if (versionBound == 0) {
                    return Optional.empty();
                }
            }
        }
        Optional<Start> start =
                snapshotted() ? usableSnapshot(evento, type, id, versionBound, timeBound) : Optional.empty();
        Optional<Loaded<S>> loaded = fold(evento, type, id, start, versionBound, timeBound, mayPersist);
        if (loaded == null) {
            // The snapshot's event is not in the store (a store rebuilt, a snapshot of another
            // store): ignore the snapshot.
            start = Optional.empty();
            loaded = fold(evento, type, id, start, versionBound, timeBound, mayPersist);
        }
        return loaded;
    }

    /** Where a load starts from a snapshot: its state and version. */
    private record Start(Object state, int version) {}

    private Optional<Start> usableSnapshot(Evento evento, String type, String id, int versionBound, long timeBound) {
        Optional<StoredSnapshot> stored;
        try {
            stored = evento.executor().snapshot(key, type, id);
        } catch (StoreException e) {
            LOG.warn("projection '{}': could not read the snapshot of {}/{}, loading without it", key, type, id, e);
            return Optional.empty();
        }
        if (stored.isEmpty()
                || !stored.get().revision().equals(revision)
                || stored.get().version() > versionBound
                || stored.get().timestampMicros() > timeBound) {
            return Optional.empty();
        }
        try {
            Object state = evento.codec().decode(stored.get().data(), stateType);
            if (state == null) {
                return Optional.empty();
            }
            return Optional.of(new Start(state, stored.get().version()));
        } catch (RuntimeException e) {
            LOG.warn("projection '{}': the snapshot of {}/{} does not decode, loading without it", key, type, id, e);
            return Optional.empty();
        }
    }

    /** Folds from {@code start}; {@code null} if the snapshot's own event is not in the store. */
    private Optional<Loaded<S>> fold(
            Evento evento,
            String type,
            String id,
            Optional<Start> start,
            int versionBound,
            long timeBound,
            boolean mayPersist) {
        Fold fold = new Fold(evento, type, id);
        int after = 0;
        if (start.isPresent()) {
            @SuppressWarnings("unchecked")
            S state = (S) start.get().state();
            fold.startFrom(state, start.get().version());
            // Read the snapshot's own event again: it proves the snapshot belongs to this store's
            // history and gives the routing key without reading the first event.
            after = start.get().version() - 1;
        }
        int replayed = 0;
        boolean checked = start.isEmpty();
        StoredEvent last = null;
        reading:
        while (true) {
            List<StoredEvent> page = evento.executor().readAggregate(type, id, after, LOAD_PAGE);
            for (StoredEvent e : page) {
                if (!checked) {
                    if (e.version() != start.get().version() || e.timestampMicros() > timeBound) {
                        return null;
                    }
                    checked = true;
                    fold.routingKey = e.routingKey();
                    last = e;
                    continue;
                }
                if (e.version() > versionBound || e.timestampMicros() > timeBound) {
                    break reading;
                }
                fold.apply(e);
                replayed++;
                last = e;
            }
            if (page.size() < LOAD_PAGE) {
                break;
            }
            after = page.getLast().version();
        }
        if (!checked) {
            return null;
        }
        Optional<Loaded<S>> result = fold.result();
        boolean present = versionBound == Integer.MAX_VALUE && timeBound == Long.MAX_VALUE;
        if (mayPersist && present && result.isPresent() && last != null && snapshotted()) {
            int from = start.map(Start::version).orElse(0);
            if (policy.shouldSave(from, result.get().version(), replayed)) {
                // Encoded here, not in the background: a mutable state may change once returned.
                // A state the codec cannot write costs the snapshot, never the load.
                try {
                    evento.saveSnapshotInBackground(snapshotOf(evento, type, id, result.get(), last));
                } catch (RuntimeException e) {
                    LOG.warn("projection '{}': cannot encode a snapshot of {}/{}", key, type, id, e);
                }
            }
        }
        return result;
    }

    /** {@link Evento#snapshot}: loads the present state and saves its snapshot before returning. */
    Optional<Loaded<S>> snapshotNow(Evento evento, String id) {
        if (!snapshotted()) {
            throw new IllegalStateException(
                    "projection " + key + " has no snapshots; configure them with Projection.Builder.snapshots(..)");
        }
        AggregateRef main = AggregateRef.of(family, id);
        Optional<Loaded<S>> loaded = loadOne(evento, main, null, false);
        loaded.ifPresent(l -> {
            StoredEvent last = evento.executor()
                    .readAggregate(main.aggregatorType(), id, l.version() - 1, 1)
                    .getFirst();
            evento.executor().saveSnapshot(snapshotOf(evento, main.aggregatorType(), id, l, last));
        });
        return loaded;
    }

    StoredSnapshot snapshotOf(Evento evento, String type, String id, Loaded<S> loaded, StoredEvent last) {
        byte[] data = evento.codec().encode(loaded.state());
        return new StoredSnapshot(key, type, id, revision, loaded.version(), data, last.timestampMicros());
    }

    /**
     * The version of the aggregate's last event at or before the position of {@code cursor}, or 0:
     * its first event after the cursor, less one, or, if it has none, its latest visible event.
     * The latest is read first, so a commit between the two reads is after the cursor and found.
     */
    private static int versionAtPosition(Evento evento, String type, String id, String cursor) {
        Executor executor = evento.executor();
        List<EventFilter> aggregate = List.of(new EventFilter.ById(type, id));
        int latest =
                executor.read(new ReadQuery(aggregate, RoutingFilter.ALL, PageRequest.backward(1))).nodes().stream()
                        .mapToInt(StoredEvent::version)
                        .findFirst()
                        .orElse(0);
        return executor
                .read(new ReadQuery(aggregate, RoutingFilter.ALL, PageRequest.forward(1, cursor)))
                .nodes()
                .stream()
                .mapToInt(e -> e.version() - 1)
                .findFirst()
                .orElse(latest);
    }

    private static void forEachEvent(
            Evento evento, String type, String id, java.util.function.Consumer<StoredEvent> action) {
        int after = 0;
        while (true) {
            List<StoredEvent> page = evento.executor().readAggregate(type, id, after, LOAD_PAGE);
            page.forEach(action);
            if (page.size() < LOAD_PAGE) {
                return;
            }
            after = page.getLast().version();
        }
    }

    /**
     * Refuses, naming what to register, a load through an Evento that does not know the
     * projection's family, or the family of one of its handlers or skips: its events could not be
     * read, and the load would return a state folded from nothing.
     */
    void requireRegistered(Evento evento) {
        evento.requireRegistered(family);
        table.families().forEach(evento::requireRegistered);
    }

    /** The running state of one load. */
    private final class Fold implements Context {
        private final Evento evento;
        private final String mainType;
        private final String mainId;
        private S state;
        private int version;
        private Optional<String> routingKey = Optional.empty();

        Fold(Evento evento, String mainType, String mainId) {
            this.evento = evento;
            this.mainType = mainType;
            this.mainId = mainId;
            this.state = Objects.requireNonNull(initial.get(), () -> "initial state of projection " + key + " is null");
        }

        void startFrom(S snapshot, int snapshotVersion) {
            this.state = Objects.requireNonNull(snapshot, "snapshot state");
            this.version = snapshotVersion;
        }

        void apply(StoredEvent stored) {
            if (stored.aggregatorType().equals(mainType)
                    && stored.aggregatorId().equals(mainId)) {
                if (version == 0 || routingKey.isEmpty()) {
                    routingKey = stored.routingKey();
                }
                version = stored.version();
            }
            for (Evento.Resolved r : evento.resolve(stored)) {
                applyOne(r);
            }
        }

        private void applyOne(Evento.Resolved r) {
            Optional<ContextHandler<S, Object>> handler = table.choose(r, safetyCheck);
            if (handler.isEmpty()) {
                return;
            }
            Class<?> type = r.descriptor().orElseThrow().type();
            @SuppressWarnings("unchecked")
            Event<Object> event = (Event<Object>) evento.decode(r, type);
            S next = handler.get().apply(state, event, this);
            if (next == null) {
                throw new IllegalStateException("the handler of " + type.getSimpleName() + " in projection " + key
                        + " returned null; return the next state");
            }
            state = next;
        }

        Optional<Loaded<S>> result() {
            if (version == 0) {
                return Optional.empty();
            }
            return Optional.of(new Loaded<>(evento, mainType, mainId, state, version, routingKey));
        }

        @Override
        public <T> T data(Class<T> type) {
            return evento.data(type)
                    .orElseThrow(() -> new IllegalStateException("projection " + key + " needs shared data of type "
                            + type.getName() + "; provide it with Evento.builder(..).data(..)"));
        }
    }

    /**
     * Configures a {@link Projection}.
     *
     * @param <S> the state type
     */
    public static final class Builder<S> {
        private final String key;
        private final Class<?> family;
        private final Supplier<? extends S> initial;
        private final HandlerTable.Builder<ContextHandler<S, Object>> table;
        private boolean safetyCheck;
        private Class<S> stateType;
        private String revision;
        private SnapshotPolicy policy;

        private Builder(String key, Class<?> family, Supplier<? extends S> initial) {
            this.key = Validation.name("projection key", key);
            EventTypes.aggregatorTypeOf(family);
            this.table = new HandlerTable.Builder<>("projection '" + key + "'");
            this.family = family;
            this.initial = Objects.requireNonNull(initial, "initial");
        }

        /**
         * Handles an event type: an event record, or a sealed interface (the family or a sealed
         * sub-family) to handle all its events that have no more specific handler.
         *
         * @param type the event class
         * @param handler folds the event into the state
         * @param <E> the event type
         * @return this builder
         * @throws IllegalArgumentException if the type is not an event, a sealed sub-family or a family
         * @throws IllegalStateException if the type already has a handler
         */
        public <E> Builder<S> on(Class<E> type, Handler<S, ? super E> handler) {
            Objects.requireNonNull(handler, "handler");
            return on(type, (ContextHandler<S, E>) (state, event, context) -> applyTo(handler, state, event));
        }

        /**
         * Handles an event type with access to shared data.
         *
         * @param type the event class
         * @param handler folds the event into the state
         * @param <E> the event type
         * @return this builder
         * @throws IllegalArgumentException if the type is not an event, a sealed sub-family or a family
         * @throws IllegalStateException if the type already has a handler
         */
        @SuppressWarnings("unchecked")
        public <E> Builder<S> on(Class<E> type, ContextHandler<S, ? super E> handler) {
            table.on(type, (ContextHandler<S, Object>) handler);
            return this;
        }

        /**
         * Declares that events of these types are deliberately ignored, so the safety check accepts
         * them. A skip is chosen like a handler: it applies to the events whose most specific
         * registered type it is.
         *
         * @param types event records or sealed interfaces
         * @return this builder
         * @throws IllegalArgumentException if a type is not an event, a sealed sub-family or a family
         * @throws IllegalStateException if a type has a handler
         */
        public Builder<S> skip(Class<?>... types) {
            for (Class<?> type : types) {
                table.skip(type);
            }
            return this;
        }

        /**
         * Makes an event that has no handler and is not skipped an error ({@link
         * UnhandledEventException}) instead of being ignored, so new event types cannot be
         * forgotten silently.
         *
         * @return this builder
         */
        public Builder<S> safetyCheck() {
            this.safetyCheck = true;
            return this;
        }

        /**
         * Lets loads start from a snapshot of the state instead of the first event, and save
         * snapshots per {@code policy}. The state is encoded with the Evento's codec (JSON by
         * default), so it must be a record or another type the codec reads back.
         *
         * <p>A snapshot is used only if it has the same {@code revision}: change the revision
         * whenever the handlers or the state's shape change, and old snapshots are ignored (and
         * replaced) instead of giving a state the new handlers would not have produced.
         *
         * @param stateType the state's class, to decode snapshots
         * @param revision names the handlers' logic, for example {@code "v2"}
         * @param policy when loads save a snapshot
         * @return this builder
         */
        public Builder<S> snapshots(Class<S> stateType, String revision, SnapshotPolicy policy) {
            this.stateType = Objects.requireNonNull(stateType, "stateType");
            this.revision = Validation.name("revision", revision);
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Builds the projection.
         *
         * @return the projection
         * @throws IllegalStateException if an event is an instance of two registered types neither
         *     of which is more specific (two sibling sub-families): register the event itself
         */
        public Projection<S> build() {
            return new Projection<>(this);
        }

        @SuppressWarnings("unchecked")
        private static <S, E> S applyTo(Handler<S, ? super E> handler, S state, Event<E> event) {
            return ((Handler<S, E>) handler).apply(state, event);
        }
    }
}
