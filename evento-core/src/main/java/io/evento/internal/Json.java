package io.evento.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.introspect.AnnotatedConstructor;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.AnnotatedParameter;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.Optional;

/**
 * Evento's Jackson configuration, shared by the JSON codec and metadata.
 *
 * <p>Internal: not part of the API; it may change without notice.
 */
public final class Json {
    /** Used for metadata, which is always JSON whatever the payload codec. */
    public static final ObjectMapper MAPPER = newMapper();

    private Json() {}

    /**
     * A mapper that reads and writes records, {@code java.time} values (as ISO strings) and {@code
     * Optional}, ignores unknown properties so that older code can read newer events, and refuses a
     * record whose JSON lacks a component that is not an {@code Optional}, naming it, instead of
     * building it with a {@code null} or a zero nobody wrote. A value without properties (a stream,
     * a plain {@code Object}) is an error rather than a {@code {}} that reads back as nothing.
     */
    public static ObjectMapper newMapper() {
        return JsonMapper.builder()
                .annotationIntrospector(new RecordComponentsRequired())
                .addModule(new JavaTimeModule())
                .addModule(new Jdk8Module())
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .build();
    }

    /** Converts a value to a JSON tree, naming {@code what} on failure. */
    public static JsonNode toTree(Object value, String what) {
        try {
            return MAPPER.valueToTree(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    /** Converts a JSON tree to a type, naming {@code what} on failure. */
    public static <T> T convert(JsonNode node, Class<T> type, String what) {
        try {
            return MAPPER.treeToValue(node, type);
        } catch (Exception e) {
            throw new IllegalArgumentException(
                    what + " cannot be read as " + type.getName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Marks every canonical-constructor parameter of a record as required unless it is an {@code
     * Optional}: Jackson then reports "Missing required creator property 'x'" for an absent field.
     */
    private static final class RecordComponentsRequired extends JacksonAnnotationIntrospector {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        @Override
        public Boolean hasRequiredMarker(AnnotatedMember member) {
            Boolean declared = super.hasRequiredMarker(member);
            if (Boolean.TRUE.equals(declared)) {
                return declared;
            }
            if (member instanceof AnnotatedParameter parameter
                    && parameter.getOwner() instanceof AnnotatedConstructor constructor
                    && constructor.getDeclaringClass().isRecord()
                    && !isOptional(parameter.getRawType())) {
                return Boolean.TRUE;
            }
            return declared;
        }

        private static boolean isOptional(Class<?> type) {
            return Optional.class.isAssignableFrom(type)
                    || type == java.util.OptionalInt.class
                    || type == java.util.OptionalLong.class
                    || type == java.util.OptionalDouble.class;
        }
    }
}
