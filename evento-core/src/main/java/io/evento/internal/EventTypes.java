package io.evento.internal;

import io.evento.Aggregate;
import io.evento.EventName;
import io.evento.EventVersion;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The registry of event families: which record is which (aggregate type, event name), and back.
 *
 * <p>Names come from annotations only ({@link Aggregate}, {@link EventName}, else the simple class
 * name), never from the fully qualified class name, so moving a class between packages does not
 * orphan its stored events. The registry is built once and read-only afterwards.
 *
 * <p>Events are records: a record's components are all of its state, so what the codec writes is
 * what the event holds and what it reads back builds the same event. A plain class in a family
 * (written by its getters, read by a constructor the codec has to guess) is refused here, before
 * the first event is stored as {@code {}}.
 *
 * <p>Internal: may change without notice.
 */
public final class EventTypes {

    /**
     * How one event class is stored.
     *
     * @param type the event record
     * @param family its sealed interface
     * @param aggregatorType the stored aggregate type
     * @param name the stored name of new events
     * @param version the schema version of new events
     */
    public record Descriptor(Class<?> type, Class<?> family, String aggregatorType, String name, int version) {}

    private final Map<Class<?>, Descriptor> byClass;
    private final Map<String, Map<String, Descriptor>> byName;
    private final Map<String, Class<?>> families;
    private final Set<Class<?>> familyClasses;
    private final List<Class<?>> eventClasses;

    private EventTypes(
            Map<Class<?>, Descriptor> byClass,
            Map<String, Map<String, Descriptor>> byName,
            Map<String, Class<?>> families,
            List<Class<?>> eventClasses) {
        this.byClass = byClass;
        this.byName = byName;
        this.families = families;
        this.familyClasses = Set.copyOf(families.values());
        this.eventClasses = eventClasses;
    }

    /** Builds a registry of the given families, checking names are unique. */
    public static EventTypes of(List<Class<?>> families) {
        Map<Class<?>, Descriptor> byClass = new HashMap<>();
        Map<String, Map<String, Descriptor>> byName = new HashMap<>();
        Map<String, Class<?>> familyByType = new LinkedHashMap<>();
        List<Class<?>> eventClasses = new ArrayList<>();
        for (Class<?> family : families) {
            String type = aggregatorTypeOf(family);
            if (!family.isSealed()) {
                throw new IllegalArgumentException(family.getName()
                        + " must be a sealed interface whose permitted records are the aggregate's events");
            }
            Class<?> previous = familyByType.putIfAbsent(type, family);
            if (previous != null && previous != family) {
                throw new IllegalArgumentException("aggregate type '" + type + "' is declared by both "
                        + previous.getName() + " and " + family.getName());
            }
            if (previous != null) {
                continue;
            }
            Map<String, Descriptor> names = byName.computeIfAbsent(type, t -> new HashMap<>());
            for (Class<?> event : permittedEvents(family)) {
                Descriptor d = new Descriptor(event, family, type, eventNameOf(event), eventVersionOf(event));
                List<String> stored = new ArrayList<>();
                stored.add(d.name());
                stored.addAll(aliasesOf(event));
                for (String name : stored) {
                    Descriptor clash = names.putIfAbsent(name, d);
                    if (clash != null) {
                        throw new IllegalArgumentException("event name '" + name + "' of aggregate '" + type
                                + "' is used by both " + clash.type().getName() + " and " + event.getName()
                                + "; names and aliases must be unique within an aggregate");
                    }
                }
                byClass.put(event, d);
                eventClasses.add(event);
            }
        }
        return new EventTypes(
                Map.copyOf(byClass), Map.copyOf(byName), Map.copyOf(familyByType), List.copyOf(eventClasses));
    }

    /**
     * Checks one family as {@link #of(List)} would: annotated, sealed, records only, names unique.
     *
     * @param family the sealed interface
     * @throws IllegalArgumentException naming what is wrong
     */
    public static void check(Class<?> family) {
        of(List.of(family));
    }

    /** Every registered event record, family by family in registration order. */
    public List<Class<?>> eventClasses() {
        return eventClasses;
    }

    /** The descriptor of a registered event class. */
    public Descriptor lookup(Class<?> eventClass) {
        Descriptor d = byClass.get(eventClass);
        if (d == null) {
            throw new IllegalArgumentException(eventClass.getName()
                    + " is not an event of a registered aggregate; declare it in a sealed interface annotated with"
                    + " @Aggregate and register that interface with Evento.builder(..).register(..)");
        }
        return d;
    }

    /** The class stored under (aggregate type, event name), if registered. */
    public Optional<Descriptor> resolve(String aggregatorType, String name) {
        Map<String, Descriptor> names = byName.get(aggregatorType);
        return names == null ? Optional.empty() : Optional.ofNullable(names.get(name));
    }

    /**
     * Every stored name that resolves to the same event as {@code name} (its current name and its
     * aliases), or just {@code name} if it is not registered.
     */
    public List<String> storedNames(String aggregatorType, String name) {
        Map<String, Descriptor> names = byName.getOrDefault(aggregatorType, Map.of());
        Descriptor d = names.get(name);
        if (d == null) {
            return List.of(name);
        }
        return names.entrySet().stream()
                .filter(e -> e.getValue() == d)
                .map(Map.Entry::getKey)
                .sorted()
                .toList();
    }

    /** Whether a family (sealed interface) is registered. */
    public boolean isRegisteredFamily(Class<?> family) {
        return familyClasses.contains(family);
    }

    /** Whether a registered family declares this aggregate type. */
    public boolean isRegisteredType(String aggregatorType) {
        return families.containsKey(aggregatorType);
    }

    /**
     * The family (the sealed interface annotated with {@link Aggregate}) of an event record, of a
     * sealed sub-family or of the family itself.
     *
     * @throws IllegalArgumentException if the class belongs to no family
     */
    public static Class<?> familyOf(Class<?> type) {
        if (type.isAnnotationPresent(Aggregate.class)) {
            return type;
        }
        return findFamily(type)
                .orElseThrow(() -> new IllegalArgumentException(type.getName()
                        + " is not an event: it implements no sealed interface annotated with @Aggregate"));
    }

    /**
     * The concrete classes a family or sub-family permits, through nested sealed interfaces, in
     * declaration order; an interface or abstract class that is not sealed contributes nothing.
     */
    public static List<Class<?>> concreteClassesOf(Class<?> type) {
        return leavesOf(type).stream().filter(c -> !isAbstract(c)).toList();
    }

    /**
     * What a sealed type permits, through nested sealed interfaces, in declaration order: the
     * classes and the interfaces or abstract classes that are not sealed. A record may implement
     * two sealed sub-families: it is listed once.
     */
    private static List<Class<?>> leavesOf(Class<?> type) {
        List<Class<?>> leaves = new ArrayList<>();
        Deque<Class<?>> todo = new ArrayDeque<>(List.of(type));
        Set<Class<?>> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            Class<?> c = todo.removeFirst();
            if (!seen.add(c)) {
                continue;
            }
            if (c.isSealed()) {
                todo.addAll(List.of(c.getPermittedSubclasses()));
            } else {
                leaves.add(c);
            }
        }
        return leaves;
    }

    private static boolean isAbstract(Class<?> c) {
        return c.isInterface() || Modifier.isAbstract(c.getModifiers());
    }

    /** The aggregate type declared by {@code family}'s {@link Aggregate} annotation. */
    public static String aggregatorTypeOf(Class<?> family) {
        Aggregate a = family.getAnnotation(Aggregate.class);
        if (a == null) {
            throw new IllegalArgumentException(family.getName() + " is not annotated with @Aggregate");
        }
        return Validation.name("@Aggregate value of " + family.getName(), a.value());
    }

    /** Describes an event class from its annotations alone, without a registry. */
    public static Descriptor describe(Class<?> eventClass) {
        Class<?> family = findFamily(eventClass)
                .orElseThrow(() -> new IllegalArgumentException(eventClass.getName()
                        + " is not an event: it implements no sealed interface annotated with @Aggregate"));
        return new Descriptor(
                eventClass, family, aggregatorTypeOf(family), eventNameOf(eventClass), eventVersionOf(eventClass));
    }

    private static Optional<Class<?>> findFamily(Class<?> type) {
        Deque<Class<?>> todo = new ArrayDeque<>(List.of(type.getInterfaces()));
        while (!todo.isEmpty()) {
            Class<?> c = todo.pop();
            if (c.isAnnotationPresent(Aggregate.class)) {
                return Optional.of(c);
            }
            todo.addAll(List.of(c.getInterfaces()));
        }
        return Optional.empty();
    }

    private static String eventNameOf(Class<?> event) {
        EventName n = event.getAnnotation(EventName.class);
        String name = n == null || n.value().isEmpty() ? event.getSimpleName() : n.value();
        return Validation.name("event name of " + event.getName(), name);
    }

    private static List<String> aliasesOf(Class<?> event) {
        EventName n = event.getAnnotation(EventName.class);
        if (n == null) {
            return List.of();
        }
        List<String> aliases = new ArrayList<>();
        for (String alias : n.aliases()) {
            aliases.add(Validation.name("alias of " + event.getName(), alias));
        }
        return aliases;
    }

    private static int eventVersionOf(Class<?> event) {
        EventVersion v = event.getAnnotation(EventVersion.class);
        if (v == null) {
            return 1;
        }
        if (v.value() < 1) {
            throw new IllegalArgumentException(
                    "@EventVersion of " + event.getName() + " must be at least 1, was " + v.value());
        }
        return v.value();
    }

    private static List<Class<?>> permittedEvents(Class<?> family) {
        List<Class<?>> events = new ArrayList<>();
        for (Class<?> c : leavesOf(family)) {
            if (isAbstract(c)) {
                throw new IllegalArgumentException(c.getName() + " in the event family " + family.getName()
                        + " is not sealed; every event of a family must be known when it is registered");
            } else if (!c.isRecord()) {
                throw new IllegalArgumentException(c.getName() + " in the event family " + family.getName()
                        + " is a class, not a record, so its fields would not be stored and read back;"
                        + " declare it as a record");
            }
            events.add(c);
        }
        if (events.isEmpty()) {
            throw new IllegalArgumentException(family.getName() + " permits no event records");
        }
        return events;
    }
}
