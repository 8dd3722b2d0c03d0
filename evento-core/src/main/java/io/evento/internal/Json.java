package io.evento.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** Evento's Jackson configuration, shared by the JSON codec and metadata. */
public final class Json {
    /** Used for metadata, which is always JSON whatever the payload codec. */
    public static final ObjectMapper MAPPER = newMapper();

    private Json() {}

    /**
     * A mapper that reads and writes records, {@code java.time} values (as ISO strings) and {@code
     * Optional}, and ignores unknown properties so that older code can read newer events.
     */
    public static ObjectMapper newMapper() {
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .addModule(new Jdk8Module())
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
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
}
