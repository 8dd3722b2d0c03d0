package io.evento;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.evento.internal.JacksonCodec;
import io.evento.internal.Json;

/**
 * Turns event payloads into bytes and back. The default is JSON through Jackson, which handles
 * records without any annotation and keeps stored events readable from any SQL client.
 *
 * <p>Implementations must be thread-safe. A failure to decode is reported by the library as an
 * {@link EventDecodingException} naming the event, so implementations may throw any runtime
 * exception. A failure to encode refuses the commit before anything is written.
 */
public interface Codec {

    /**
     * Checks, when an event family is registered, that this codec reads back every event of {@code
     * eventType} it writes, so that a mistake in an event's declaration fails at startup instead of
     * every load after the first commit. Called once per event record by {@link
     * Evento.Builder#build()}.
     *
     * <p>The JSON codec refuses components that JSON writes without their class ({@code Object}, a
     * raw {@code List}), interfaces and abstract classes without type information (a stream, a
     * sealed interface without {@code @JsonTypeInfo}) and classes without properties, naming the
     * component. Where the declared types cannot settle it (a component whose value's class is only
     * known when it is written) it decodes such events once when it encodes them, so a commit never
     * stores what would not read back.
     *
     * <p>The default accepts every type: a codec that cannot check types up front should refuse,
     * in {@link #encode(Object)}, what it could not decode.
     *
     * @param eventType the event record
     * @throws IllegalArgumentException naming the type, and the component, whose values would not read
     *     back
     */
    default void vet(Class<?> eventType) {}

    /**
     * Encodes an event payload.
     *
     * @param event the event record
     * @return its bytes
     */
    byte[] encode(Object event);

    /**
     * Decodes an event payload.
     *
     * @param data the stored bytes
     * @param type the event record class
     * @param <T> the event type
     * @return the event
     */
    <T> T decode(byte[] data, Class<T> type);

    /**
     * The JSON codec with Evento's defaults: records, {@code java.time} and {@code Optional}
     * supported; unknown properties ignored so older code can read newer events; a value without
     * properties (which would be stored as {@code {}}) refused.
     *
     * @return the codec
     */
    static Codec json() {
        return new JacksonCodec(Json.newMapper());
    }

    /**
     * A JSON codec using your own mapper (for custom modules or naming strategies).
     *
     * @param mapper a configured mapper; it must not be reconfigured afterwards
     * @return the codec
     */
    static Codec json(ObjectMapper mapper) {
        return new JacksonCodec(mapper);
    }
}
