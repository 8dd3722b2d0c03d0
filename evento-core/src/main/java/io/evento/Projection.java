package io.evento;

import io.evento.internal.EventTypes;
import io.evento.internal.Validation;
import io.evento.spi.StoredEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

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
 * records fold immutably; a mutable state may be changed in place and returned.
 *
 * <p>Loading reads every event of the aggregate, page by page, however many there are. Events
 * without a handler are skipped, unless the {@linkplain Builder#safetyCheck() safety check} is on,
 * which turns them into an {@link UnhandledEventException}.
 *
 * @param <S> the state type
 */
public final class Projection<S> {
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
    private final Map<Class<?>, ContextHandler<S, Object>> handlers;
    private final Set<Class<?>> skipped;
    private final boolean safetyCheck;
    private final Map<Class<?>, Optional<ContextHandler<S, Object>>> resolved = new ConcurrentHashMap<>();

    private Projection(Builder<S> b) {
        this.key = b.key;
        this.family = b.family;
        this.initial = b.initial;
        this.handlers = Map.copyOf(b.handlers);
        this.skipped = Set.copyOf(b.skipped);
        this.safetyCheck = b.safetyCheck;
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

    Optional<Loaded<S>> load(Evento evento, AggregateRef main, List<AggregateRef> related) {
        String mainType = main.aggregatorType();
        Fold fold = new Fold(evento, mainType, main.id());
        if (related.isEmpty()) {
            // The common case streams page by page, so memory stays flat however long the aggregate.
            forEachEvent(evento, mainType, main.id(), fold::apply);
        } else {
            List<StoredEvent> all = new ArrayList<>();
            forEachEvent(evento, mainType, main.id(), all::add);
            for (AggregateRef ref : related) {
                forEachEvent(evento, ref.aggregatorType(), ref.id(), all::add);
            }
            // Stable sort: each aggregate stays in version order, aggregates interleave by time.
            all.sort(Comparator.comparingLong(StoredEvent::timestampMicros));
            all.forEach(fold::apply);
        }
        return fold.result();
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

    private Optional<ContextHandler<S, Object>> handlerFor(Class<?> eventClass) {
        return resolved.computeIfAbsent(eventClass, c -> {
            ContextHandler<S, Object> exact = handlers.get(c);
            if (exact != null) {
                return Optional.of(exact);
            }
            return handlers.entrySet().stream()
                    .filter(h -> h.getKey().isAssignableFrom(c))
                    .map(Map.Entry::getValue)
                    .findFirst();
        });
    }

    private boolean isSkipped(Class<?> eventClass) {
        return skipped.stream().anyMatch(s -> s.isAssignableFrom(eventClass));
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

        void apply(StoredEvent stored) {
            if (stored.aggregatorType().equals(mainType)
                    && stored.aggregatorId().equals(mainId)) {
                if (version == 0) {
                    routingKey = stored.routingKey();
                }
                version = stored.version();
            }
            for (Evento.Resolved r : evento.resolve(stored)) {
                applyOne(r);
            }
        }

        private void applyOne(Evento.Resolved r) {
            StoredEvent stored = r.stored();
            Optional<EventTypes.Descriptor> d = r.descriptor();
            if (d.isEmpty()) {
                if (safetyCheck) {
                    throw new EventDecodingException(
                            stored.id(),
                            stored.aggregatorType(),
                            stored.aggregatorId(),
                            stored.version(),
                            r.name(),
                            "no registered event has this name",
                            null);
                }
                return;
            }
            Class<?> type = d.get().type();
            Optional<ContextHandler<S, Object>> handler = handlerFor(type);
            if (handler.isEmpty()) {
                if (safetyCheck && !isSkipped(type)) {
                    throw new UnhandledEventException(
                            "projection '" + key + "'",
                            stored.id(),
                            stored.aggregatorType(),
                            stored.aggregatorId(),
                            stored.version(),
                            d.get().name());
                }
                return;
            }
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
        private final Map<Class<?>, ContextHandler<S, Object>> handlers = new LinkedHashMap<>();
        private final Set<Class<?>> skipped = new LinkedHashSet<>();
        private boolean safetyCheck;

        private Builder(String key, Class<?> family, Supplier<? extends S> initial) {
            this.key = Validation.name("projection key", key);
            EventTypes.aggregatorTypeOf(family);
            this.family = family;
            this.initial = Objects.requireNonNull(initial, "initial");
        }

        /**
         * Handles an event type: an event record, or a sealed interface to handle all its events.
         *
         * @param type the event class
         * @param handler folds the event into the state
         * @param <E> the event type
         * @return this builder
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
         * @throws IllegalStateException if the type already has a handler
         */
        @SuppressWarnings("unchecked")
        public <E> Builder<S> on(Class<E> type, ContextHandler<S, ? super E> handler) {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(handler, "handler");
            if (skipped.contains(type)) {
                throw new IllegalStateException(type.getName() + " is skipped; it cannot also have a handler");
            }
            if (handlers.putIfAbsent(type, (ContextHandler<S, Object>) handler) != null) {
                throw new IllegalStateException(type.getName() + " already has a handler in projection " + key);
            }
            return this;
        }

        /**
         * Declares that events of these types are deliberately ignored, so the safety check accepts
         * them.
         *
         * @param types event records or sealed interfaces
         * @return this builder
         */
        public Builder<S> skip(Class<?>... types) {
            for (Class<?> type : types) {
                Objects.requireNonNull(type, "type");
                if (handlers.containsKey(type)) {
                    throw new IllegalStateException(type.getName() + " has a handler; it cannot also be skipped");
                }
                skipped.add(type);
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
         * Builds the projection.
         *
         * @return the projection
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
