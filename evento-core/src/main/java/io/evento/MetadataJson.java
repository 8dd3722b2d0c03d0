package io.evento;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.evento.internal.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The stored form of {@link Metadata}: a small JSON object, readable from any SQL client. */
final class MetadataJson {
    /** The key of an event's schema version, written only when it is not 1. */
    static final String EVENT_VERSION = "eventVersion";

    /** Metadata as stored with one event, with the schema version of its payload. */
    record Stored(Metadata metadata, int eventVersion) {}

    private MetadataJson() {}

    static byte[] encode(Metadata m) {
        return encode(m, 1);
    }

    /** Writes metadata with a streaming generator: every commit encodes it once per schema version. */
    static byte[] encode(Metadata m, int eventVersion) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        try (JsonGenerator g = Json.MAPPER.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("id", m.id());
            if (m.requestedBy().isPresent()) {
                g.writeStringField("requestedBy", m.requestedBy().get());
            }
            if (m.requestedAs().isPresent()) {
                g.writeStringField("requestedAs", m.requestedAs().get());
            }
            for (Map.Entry<String, JsonNode> entry : m.entries().entrySet()) {
                if (eventVersion != 1 && entry.getKey().equals(EVENT_VERSION)) {
                    // An old entry under the key (see decodeStored) gives way to the schema version.
                    continue;
                }
                g.writeFieldName(entry.getKey());
                g.writeTree(entry.getValue());
            }
            if (eventVersion != 1) {
                g.writeNumberField(EVENT_VERSION, eventVersion);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalArgumentException("metadata cannot be written as JSON: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    static Metadata decode(byte[] bytes) throws IOException {
        return decodeStored(bytes).metadata();
    }

    /**
     * Reads stored metadata with a streaming parser: the reserved keys are read as plain values and
     * only user entries become trees, which keeps the common case (an id and little else) cheap on
     * every event a catch-up or a load decodes.
     */
    static Stored decodeStored(byte[] bytes) throws IOException {
        try (JsonParser p = Json.MAPPER.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw notMetadata();
            }
            Map<String, JsonNode> entries = new LinkedHashMap<>();
            String id = null;
            String requestedBy = null;
            String requestedAs = null;
            int eventVersion = 1;
            for (String key = p.nextFieldName(); key != null; key = p.nextFieldName()) {
                JsonToken value = p.nextToken();
                switch (key) {
                    case "id" -> {
                        id = value == JsonToken.VALUE_STRING ? p.getText() : null;
                        if (value.isStructStart()) {
                            p.skipChildren();
                        }
                    }
                    case EVENT_VERSION -> {
                        // Metadata written before the key was reserved may use it for something
                        // else: only a positive integer is a schema version, anything else stays an
                        // entry.
                        JsonNode node = p.readValueAsTree();
                        if (node.isIntegralNumber() && node.canConvertToInt() && node.asInt() >= 1) {
                            eventVersion = node.asInt();
                            entries.remove(key);
                        } else {
                            eventVersion = 1;
                            entries.put(key, node);
                        }
                    }
                    case "requestedBy" -> requestedBy = text(p, value);
                    case "requestedAs" -> requestedAs = text(p, value);
                    default -> entries.put(key, p.readValueAsTree());
                }
            }
            if (id == null) {
                throw notMetadata();
            }
            return new Stored(Metadata.of(id, requestedBy, requestedAs, entries), eventVersion);
        }
    }

    /** A reserved value as text, like {@link JsonNode#asText()} of its tree. */
    private static String text(JsonParser p, JsonToken value) throws IOException {
        return value == JsonToken.VALUE_STRING
                ? p.getText()
                : p.<JsonNode>readValueAsTree().asText();
    }

    private static IOException notMetadata() {
        return new IOException("metadata is not a JSON object with a text 'id'");
    }
}
