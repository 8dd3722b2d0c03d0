package io.evento;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.evento.internal.Json;
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

    static byte[] encode(Metadata m, int eventVersion) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("id", m.id());
        m.requestedBy().ifPresent(v -> root.put("requestedBy", v));
        m.requestedAs().ifPresent(v -> root.put("requestedAs", v));
        m.entries().forEach(root::set);
        if (eventVersion != 1) {
            root.put(EVENT_VERSION, eventVersion);
        }
        try {
            return Json.MAPPER.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalArgumentException("metadata cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    static Metadata decode(byte[] bytes) throws IOException {
        return decodeStored(bytes).metadata();
    }

    static Stored decodeStored(byte[] bytes) throws IOException {
        JsonNode root = Json.MAPPER.readTree(bytes);
        if (root == null || !root.isObject() || !root.path("id").isTextual()) {
            throw new IOException("metadata is not a JSON object with a text 'id'");
        }
        Map<String, JsonNode> entries = new LinkedHashMap<>();
        String requestedBy = null;
        String requestedAs = null;
        int eventVersion = 1;
        for (Map.Entry<String, JsonNode> f : root.properties()) {
            switch (f.getKey()) {
                case "id" -> {}
                case EVENT_VERSION -> {
                    // Metadata written before the key was reserved may use it for something else:
                    // only a positive integer is a schema version, anything else stays an entry.
                    if (f.getValue().isIntegralNumber()
                            && f.getValue().canConvertToInt()
                            && f.getValue().asInt() >= 1) {
                        eventVersion = f.getValue().asInt();
                    } else {
                        entries.put(f.getKey(), f.getValue());
                    }
                }
                case "requestedBy" -> requestedBy = f.getValue().asText();
                case "requestedAs" -> requestedAs = f.getValue().asText();
                default -> entries.put(f.getKey(), f.getValue());
            }
        }
        return new Stored(Metadata.of(root.get("id").asText(), requestedBy, requestedAs, entries), eventVersion);
    }
}
