package io.evento;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.evento.internal.Json;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The stored form of {@link Metadata}: a small JSON object, readable from any SQL client. */
final class MetadataJson {
    private MetadataJson() {}

    static byte[] encode(Metadata m) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("id", m.id());
        m.requestedBy().ifPresent(v -> root.put("requestedBy", v));
        m.requestedAs().ifPresent(v -> root.put("requestedAs", v));
        m.entries().forEach(root::set);
        try {
            return Json.MAPPER.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalArgumentException("metadata cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    static Metadata decode(byte[] bytes) throws IOException {
        JsonNode root = Json.MAPPER.readTree(bytes);
        if (root == null || !root.isObject() || !root.path("id").isTextual()) {
            throw new IOException("metadata is not a JSON object with a text 'id'");
        }
        Map<String, JsonNode> entries = new LinkedHashMap<>();
        String requestedBy = null;
        String requestedAs = null;
        for (Map.Entry<String, JsonNode> f : root.properties()) {
            switch (f.getKey()) {
                case "id" -> {}
                case "requestedBy" -> requestedBy = f.getValue().asText();
                case "requestedAs" -> requestedAs = f.getValue().asText();
                default -> entries.put(f.getKey(), f.getValue());
            }
        }
        return Metadata.of(root.get("id").asText(), requestedBy, requestedAs, entries);
    }
}
