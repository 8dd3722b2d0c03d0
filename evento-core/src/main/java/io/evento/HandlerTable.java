package io.evento;

import io.evento.internal.EventTypes;
import io.evento.spi.StoredEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which handler an event goes to, for projections and subscriptions alike.
 *
 * <p>Handlers (and skips) are registered for event records, for sealed sub-families and for whole
 * families, and may overlap: a family handler for "everything else" next to handlers of a few
 * records is the common case. An event goes to the most specific registered type it is an instance
 * of: its record, else the nearest sealed sub-family, else the family. "Most specific" is the
 * subtype order, so the choice depends neither on the order of registration nor on the iteration
 * order of a map, which changes from one JVM run to the next. A skip takes part like a handler: a
 * record skipped under a family handler is skipped.
 *
 * <p>Families are sealed, so every record a table can meet is known when it is built: the choice
 * is made then for each of them, and an event class is a map lookup away from its handler. A
 * record that is an instance of two registered types neither of which is more specific (two
 * sibling sub-families it implements both) has no most specific one: the build refuses it, rather
 * than pick one by chance.
 *
 * @param <H> the handler type
 */
final class HandlerTable<H> {

    /** The most specific registered type of one event class, and its handler ({@code null}: skipped). */
    private record Choice<H>(Class<?> registeredAs, H handler) {}

    private final String owner;
    private final Map<Class<?>, H> handlers;
    private final Set<Class<?>> skipped;
    private final Set<Class<?>> handledFamilies;
    private final Set<Class<?>> families;
    private final Map<Class<?>, Optional<Choice<H>>> choices = new ConcurrentHashMap<>();

    private HandlerTable(Builder<H> b) {
        this.owner = b.owner;
        this.handlers = Collections.unmodifiableMap(new LinkedHashMap<>(b.handlers));
        this.skipped = Collections.unmodifiableSet(new LinkedHashSet<>(b.skipped));
        Set<Class<?>> handled = new LinkedHashSet<>();
        handlers.keySet().forEach(type -> handled.add(EventTypes.familyOf(type)));
        Set<Class<?>> all = new LinkedHashSet<>(handled);
        skipped.forEach(type -> all.add(EventTypes.familyOf(type)));
        this.handledFamilies = Collections.unmodifiableSet(handled);
        this.families = Collections.unmodifiableSet(all);
        for (Class<?> family : families) {
            for (Class<?> event : EventTypes.concreteClassesOf(family)) {
                choices.put(event, mostSpecific(event));
            }
        }
    }

    /**
     * The handler of an event class, empty if it has none or is skipped.
     *
     * @throws IllegalStateException if the class is an instance of two registered types neither of
     *     which is more specific (only for classes the build could not see)
     */
    Optional<H> handler(Class<?> eventClass) {
        return choice(eventClass).map(Choice::handler);
    }

    /** Whether the most specific registered type of an event class is a skip. */
    boolean skipped(Class<?> eventClass) {
        return choice(eventClass).filter(c -> c.handler() == null).isPresent();
    }

    /** The families whose events have handlers, in registration order. */
    Set<Class<?>> handledFamilies() {
        return handledFamilies;
    }

    /** The families of every registered type, handled or skipped, in registration order. */
    Set<Class<?>> families() {
        return families;
    }

    /**
     * The handler of one resolved event: empty if it has none, is skipped, or its name is not
     * registered; with the safety check on, an unregistered name or an event neither handled nor
     * skipped is an error instead.
     */
    Optional<H> choose(Evento.Resolved r, boolean safetyCheck) {
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
            return Optional.empty();
        }
        Optional<Choice<H>> choice = choice(d.get().type());
        if (choice.isEmpty() && safetyCheck) {
            throw new UnhandledEventException(
                    owner,
                    stored.id(),
                    stored.aggregatorType(),
                    stored.aggregatorId(),
                    stored.version(),
                    d.get().name());
        }
        return choice.map(Choice::handler);
    }

    private Optional<Choice<H>> choice(Class<?> eventClass) {
        Optional<Choice<H>> known = choices.get(eventClass);
        return known != null ? known : choices.computeIfAbsent(eventClass, this::mostSpecific);
    }

    private Optional<Choice<H>> mostSpecific(Class<?> eventClass) {
        List<Class<?>> matches = new ArrayList<>();
        for (Class<?> type : handlers.keySet()) {
            if (type.isAssignableFrom(eventClass)) {
                matches.add(type);
            }
        }
        for (Class<?> type : skipped) {
            if (type.isAssignableFrom(eventClass)) {
                matches.add(type);
            }
        }
        // The minimal matches: no other match is a subtype of them.
        List<Class<?>> nearest = matches.stream()
                .filter(m -> matches.stream().noneMatch(o -> o != m && m.isAssignableFrom(o)))
                .toList();
        if (nearest.isEmpty()) {
            return Optional.empty();
        }
        if (nearest.size() > 1) {
            throw new IllegalStateException(
                    eventClass.getName() + " is both " + nearest.get(0).getName() + " and "
                            + nearest.get(1).getName() + ", which both have a handler or a skip in " + owner
                            + " and neither is more specific; register " + eventClass.getSimpleName()
                            + " itself so that the choice is yours");
        }
        Class<?> best = nearest.getFirst();
        return Optional.of(new Choice<>(best, handlers.get(best)));
    }

    /**
     * Collects the registrations of a projection or subscription builder.
     *
     * @param <H> the handler type
     */
    static final class Builder<H> {
        private final String owner;
        private final Map<Class<?>, H> handlers = new LinkedHashMap<>();
        private final Set<Class<?>> skipped = new LinkedHashSet<>();

        /** @param owner names the projection or subscription in messages, e.g. {@code projection 'balance'} */
        Builder(String owner) {
            this.owner = owner;
        }

        /**
         * Registers a handler for an event record, a sealed sub-family or a family.
         *
         * @throws IllegalArgumentException if the type is not an event, a sub-family or a family
         * @throws IllegalStateException if the type already has a handler or is skipped
         */
        void on(Class<?> type, H handler) {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(handler, "handler");
            EventTypes.familyOf(type);
            if (skipped.contains(type)) {
                throw new IllegalStateException(type.getName() + " is skipped; it cannot also have a handler");
            }
            if (handlers.putIfAbsent(type, handler) != null) {
                throw new IllegalStateException(type.getName() + " already has a handler in " + owner);
            }
        }

        /**
         * Registers a skip.
         *
         * @throws IllegalArgumentException if the type is not an event, a sub-family or a family
         * @throws IllegalStateException if the type has a handler
         */
        void skip(Class<?> type) {
            Objects.requireNonNull(type, "type");
            EventTypes.familyOf(type);
            if (handlers.containsKey(type)) {
                throw new IllegalStateException(type.getName() + " has a handler; it cannot also be skipped");
            }
            skipped.add(type);
        }

        boolean isEmpty() {
            return handlers.isEmpty();
        }

        /**
         * Builds the table, choosing the handler of every record of the families involved.
         *
         * @throws IllegalStateException if a record has no most specific registered type
         */
        HandlerTable<H> build() {
            return new HandlerTable<>(this);
        }
    }
}
