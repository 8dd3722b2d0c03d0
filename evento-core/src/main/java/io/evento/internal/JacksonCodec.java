package io.evento.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.evento.Codec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The default {@link Codec}: JSON through Jackson. Internal: may change without notice.
 *
 * <p>{@link #vet(Class)} proves at registration, from the declared types alone, that what an event
 * writes reads back (see {@link JacksonTypeCheck}). Declared types cannot prove it where the class
 * of a value is only known when it is written: an abstract type with type information, or a class
 * that may be extended. Events with such a component are decoded once right after they are
 * encoded, so a commit never stores what would not read back; every other event is written as
 * before, without that cost.
 */
public final class JacksonCodec implements Codec {
    private final ObjectMapper mapper;
    private final Set<Class<?>> decodeWhenEncoding = ConcurrentHashMap.newKeySet();

    /**
     * Wraps a configured mapper.
     *
     * @param mapper the mapper; it must not be reconfigured afterwards
     */
    public JacksonCodec(ObjectMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    @Override
    public void vet(Class<?> eventType) {
        if (JacksonTypeCheck.check(mapper, eventType)) {
            decodeWhenEncoding.add(eventType);
        }
    }

    @Override
    public byte[] encode(Object event) {
        byte[] bytes;
        try {
            bytes = mapper.writeValueAsBytes(event);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot encode " + event.getClass().getName() + " as JSON: " + e.getMessage(), e);
        }
        if (decodeWhenEncoding.contains(event.getClass())) {
            try {
                mapper.readValue(bytes, event.getClass());
            } catch (IOException | RuntimeException e) {
                String cause =
                        String.valueOf(e.getMessage()).lines().findFirst().orElse("");
                throw new IllegalArgumentException(
                        "its JSON does not read back (" + cause
                                + "); give each component a value of a class its declared type reads back",
                        e);
            }
        }
        return bytes;
    }

    @Override
    public <T> T decode(byte[] data, Class<T> type) {
        try {
            return mapper.readValue(data, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
