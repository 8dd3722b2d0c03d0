package io.evento;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.evento.internal.Json;
import io.evento.internal.Validation;
import java.io.IOException;
import java.util.Objects;

/**
 * A stored event as an {@link Upcaster} sees it: its name, schema version and encoded payload.
 *
 * <p>With the default JSON codec, {@link #json()} gives the payload as a mutable tree and {@link
 * #withJson(JsonNode)} puts one back.
 *
 * @param name the event name
 * @param version the schema version, from 1
 * @param data the encoded payload
 */
public record EventShape(String name, int version, byte[] data) {
    /**
     * Validates the shape.
     *
     * @param name the event name
     * @param version the schema version
     * @param data the encoded payload
     */
    public EventShape {
        Validation.name("name", name);
        if (version < 1) {
            throw new IllegalArgumentException("version must be at least 1, was " + version);
        }
        Objects.requireNonNull(data, "data");
    }

    /**
     * The payload parsed as a JSON object, a fresh copy each time.
     *
     * @return the tree
     * @throws IllegalArgumentException if the payload is not a JSON object
     */
    public ObjectNode json() {
        try {
            JsonNode tree = Json.MAPPER.readTree(data);
            if (tree instanceof ObjectNode object) {
                return object;
            }
            throw new IllegalArgumentException("the payload of " + name + " v" + version + " is not a JSON object");
        } catch (IOException e) {
            throw new IllegalArgumentException("the payload of " + name + " v" + version + " is not JSON", e);
        }
    }

    /**
     * The same event under another name.
     *
     * @param newName the name
     * @return the new shape
     */
    public EventShape withName(String newName) {
        return new EventShape(newName, version, data);
    }

    /**
     * The same event at another schema version.
     *
     * @param newVersion the version
     * @return the new shape
     */
    public EventShape withVersion(int newVersion) {
        return new EventShape(name, newVersion, data);
    }

    /**
     * The same event with another encoded payload.
     *
     * @param newData the payload
     * @return the new shape
     */
    public EventShape withData(byte[] newData) {
        return new EventShape(name, version, newData);
    }

    /**
     * The same event with a JSON payload.
     *
     * @param tree the payload
     * @return the new shape
     */
    public EventShape withJson(JsonNode tree) {
        try {
            return withData(Json.MAPPER.writeValueAsBytes(tree));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write the upcast payload of " + name, e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventShape s
                && name.equals(s.name)
                && version == s.version
                && java.util.Arrays.equals(data, s.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, version, java.util.Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return "EventShape[" + name + " v" + version + ", " + data.length + " bytes]";
    }
}
