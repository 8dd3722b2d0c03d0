package io.evento.internal;

import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.AbstractDeserializer;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBase;
import com.fasterxml.jackson.databind.deser.DefaultDeserializationContext;
import com.fasterxml.jackson.databind.deser.SettableBeanProperty;
import com.fasterxml.jackson.databind.ser.impl.UnknownSerializer;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

/**
 * Whether Jackson reads back what it writes for an event type, decided from the declared types
 * before the first event is written.
 *
 * <p>JSON keeps values, not classes. Jackson therefore writes happily what it cannot read back: a
 * stream or a class without properties as {@code {}}, a {@code LocalDate} held in an {@code Object}
 * as a string that comes back as a {@code String}, a sealed interface without type information as
 * the fields of whichever record it held, with nothing to say which. Each of these commits fine and
 * then fails every load, page and subscription that meets it. So the check walks the event's
 * components as Jackson sees them (with the mapper's own modules, mix-ins and annotations): through
 * records, beans, collections, maps, arrays and {@code Optional}s, and refuses, naming the
 * component, any type that Jackson reads untyped ({@code Object}), cannot instantiate (an interface
 * or abstract class without type information), or writes without properties.
 *
 * <p>What the declared types cannot settle is reported back: a component whose value's class is
 * only known when it is written (an abstract type Jackson accepts, such as a sealed interface with
 * {@code @JsonTypeInfo}, or a class that may be extended) could hold a subtype Jackson writes but
 * cannot read, so {@link JacksonCodec} decodes such events once when it encodes them.
 */
final class JacksonTypeCheck {
    private static final String FIX = "; declare a record, a value type such as String, a number or a java.time"
            + " type, a collection of those, or a sealed interface annotated with @JsonTypeInfo";

    private final ObjectMapper mapper;
    private final DeserializationConfig config;
    private final DefaultDeserializationContext context;
    private final Class<?> event;
    private final Set<JavaType> seen = new HashSet<>();
    private boolean openAtRuntime;

    private JacksonTypeCheck(ObjectMapper mapper, Class<?> event) {
        this.mapper = mapper;
        this.config = mapper.getDeserializationConfig();
        this.context = ((DefaultDeserializationContext) mapper.getDeserializationContext())
                .createInstance(config, null, mapper.getInjectableValues());
        this.event = event;
    }

    /**
     * Checks that every value of {@code event} Jackson writes reads back.
     *
     * @return whether some component's class is only known at runtime, so that an event must be
     *     decoded once when it is encoded to be sure
     * @throws IllegalArgumentException naming the component that would not read back
     */
    static boolean check(ObjectMapper mapper, Class<?> event) {
        JacksonTypeCheck check = new JacksonTypeCheck(mapper, event);
        check.visit(mapper.constructType(event), "");
        return check.openAtRuntime;
    }

    private void visit(JavaType type, String path) {
        if (type.isPrimitive() || type.isEnumType() || !seen.add(type)) {
            return;
        }
        if (hasTypeInformation(type)) {
            // The value names its class; what that class holds is still checked where it is known.
            openAtRuntime = true;
            if (type.getRawClass().isSealed()) {
                for (Class<?> sub : type.getRawClass().getPermittedSubclasses()) {
                    visit(mapper.getTypeFactory().constructSpecializedType(type, sub), path);
                }
            }
            return;
        }
        if (type.isReferenceType()) {
            visit(type.getReferencedType(), path);
            return;
        }
        if (type.isContainerType()) {
            deserializer(type, path);
            if (type.isMapLikeType()) {
                checkKey(type.getKeyType(), path);
            }
            visit(type.getContentType(), path + "[]");
            return;
        }
        if (type.isRecordType()) {
            // Components first, so a failure names the component rather than the record holding it.
            for (RecordComponent component : type.getRawClass().getRecordComponents()) {
                visit(
                        mapper.getTypeFactory().resolveMemberType(component.getGenericType(), type.getBindings()),
                        join(path, component.getName()));
            }
            deserializer(type, path);
            return;
        }
        JsonDeserializer<?> deserializer = deserializer(type, path);
        if (deserializer.handledType() == Object.class || type.getRawClass() == Number.class) {
            throw refused(
                    path,
                    type,
                    "which JSON writes without its class, so a value such as a LocalDate written there reads back"
                            + " as a String, a number, a map or a list");
        }
        if (deserializer instanceof AbstractDeserializer) {
            throw refused(
                    path,
                    type,
                    "an abstract type without type information, so JSON cannot tell which class to read back");
        }
        if (writer(type, path) instanceof UnknownSerializer) {
            throw refused(path, type, "which has no property JSON can write, so it would be stored as {}");
        }
        if (type.isAbstract()) {
            // Read by a deserializer of its own (a module's, an annotation's): trusted, but only
            // the value's class says what is written.
            openAtRuntime = true;
            return;
        }
        if (deserializer instanceof BeanDeserializerBase bean) {
            if (!bean.getValueInstantiator().canInstantiate()) {
                throw refused(path, type, "which has no constructor JSON can call to read it back");
            }
            if (!Modifier.isFinal(type.getRawClass().getModifiers())) {
                openAtRuntime = true;
            }
            for (Iterator<SettableBeanProperty> it = bean.properties(); it.hasNext(); ) {
                SettableBeanProperty property = it.next();
                visit(property.getType(), join(path, property.getName()));
            }
        }
    }

    private boolean hasTypeInformation(JavaType type) {
        try {
            return context.getFactory().findTypeDeserializer(config, type) != null;
        } catch (Exception e) {
            throw refused("", type, "which JSON cannot read: " + firstLine(e));
        }
    }

    private JsonDeserializer<?> deserializer(JavaType type, String path) {
        try {
            return context.findRootValueDeserializer(type);
        } catch (Exception e) {
            throw refused(path, type, "which JSON cannot read: " + firstLine(e));
        }
    }

    private Object writer(JavaType type, String path) {
        try {
            return mapper.getSerializerProviderInstance().findValueSerializer(type);
        } catch (Exception e) {
            throw refused(path, type, "which JSON cannot write: " + firstLine(e));
        }
    }

    private void checkKey(JavaType key, String path) {
        if (key.getRawClass() == Object.class || (key.isAbstract() && !key.isEnumType())) {
            throw refused(
                    path,
                    "has keys declared as " + key.toCanonical() + ", which JSON writes as strings without their class");
        }
        try {
            context.findKeyDeserializer(key, null);
        } catch (Exception e) {
            throw refused(
                    path,
                    "has keys declared as " + key.toCanonical() + ", which JSON cannot read back: " + firstLine(e));
        }
    }

    /** @param problem what is wrong, from the verb on: "is declared as X, which ..." */
    private IllegalArgumentException refused(String path, String problem) {
        String subject = path.isEmpty() ? "it " : "its component '" + path + "' ";
        return new IllegalArgumentException(
                event.getName() + " cannot be stored as an event: " + subject + problem + FIX);
    }

    private IllegalArgumentException refused(String path, JavaType type, String why) {
        return refused(path, "is declared as " + type.toCanonical() + ", " + why);
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static String firstLine(Exception e) {
        return String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    }
}
