package io.evento.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.evento.Codec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;

/** The default {@link Codec}: JSON through Jackson. */
public final class JacksonCodec implements Codec {
    private final ObjectMapper mapper;

    /** Wraps a configured mapper. */
    public JacksonCodec(ObjectMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    @Override
    public byte[] encode(Object event) {
        try {
            return mapper.writeValueAsBytes(event);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot encode " + event.getClass().getName() + " as JSON: " + e.getMessage(), e);
        }
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
