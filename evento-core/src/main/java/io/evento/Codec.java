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
 * exception.
 */
public interface Codec {

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
     * supported; unknown properties ignored so older code can read newer events.
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
