package io.evento;

import com.fasterxml.jackson.databind.JsonNode;
import io.evento.internal.Json;
import io.evento.internal.Ulids;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Facts about why events were written, stored with each event of a commit: an id for the request
 * that produced them, who asked ({@code requestedBy}), on whose behalf ({@code requestedAs}), and
 * typed custom entries.
 *
 * <p>Immutable; every {@code with...} method returns a copy. Metadata is always stored as JSON, so
 * custom entries may be any value Jackson can write (records, strings, numbers, lists...).
 *
 * <pre>{@code
 * Metadata m = Metadata.create().withRequestedBy("user-42").with("ip", "10.0.0.7");
 * Optional<String> ip = event.metadata().get("ip", String.class);
 * }</pre>
 */
public final class Metadata {
    private static final Set<String> RESERVED = Set.of("id", "requestedBy", "requestedAs", MetadataJson.EVENT_VERSION);

    private final String id;
    private final String requestedBy;
    private final String requestedAs;
    private final Map<String, JsonNode> entries;

    private Metadata(String id, String requestedBy, String requestedAs, Map<String, JsonNode> entries) {
        this.id = id;
        this.requestedBy = requestedBy;
        this.requestedAs = requestedAs;
        this.entries = entries;
    }

    /**
     * New metadata with a fresh ULID as its id and nothing else.
     *
     * @return the metadata
     */
    public static Metadata create() {
        return new Metadata(Ulids.next(), null, null, Map.of());
    }

    /**
     * The id of the request that produced the events: a new ULID unless set with {@link
     * #withId(String)}.
     *
     * @return the id
     */
    public String id() {
        return id;
    }

    /**
     * Who asked for the events to be written, typically a user id.
     *
     * @return the requester, if set
     */
    public Optional<String> requestedBy() {
        return Optional.ofNullable(requestedBy);
    }

    /**
     * On whose behalf the events were written, for example an impersonated user or a role.
     *
     * @return the principal acted as, if set
     */
    public Optional<String> requestedAs() {
        return Optional.ofNullable(requestedAs);
    }

    /**
     * A custom entry converted to {@code type}.
     *
     * @param key the entry's key
     * @param type the type to convert the stored JSON value to
     * @param <T> the value type
     * @return the value, or empty if there is no such entry
     * @throws IllegalArgumentException if the stored value cannot be converted to {@code type}
     */
    public <T> Optional<T> get(String key, Class<T> type) {
        Objects.requireNonNull(type, "type");
        JsonNode node = entries.get(Objects.requireNonNull(key, "key"));
        if (node == null) {
            return Optional.empty();
        }
        // Metadata is shared (by the events of a commit, and by threads): a tree handed out is a copy.
        JsonNode own = JsonNode.class.isAssignableFrom(type) ? node.deepCopy() : node;
        return Optional.of(Json.convert(own, type, "metadata entry '" + key + "'"));
    }

    /**
     * The keys of the custom entries, in insertion order.
     *
     * @return the keys
     */
    public Set<String> keys() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    /**
     * A copy with another id.
     *
     * @param id the request id
     * @return the copy
     */
    public Metadata withId(String id) {
        return new Metadata(nonBlank("id", id), requestedBy, requestedAs, entries);
    }

    /**
     * A copy with {@code requestedBy} set.
     *
     * @param requestedBy who asked
     * @return the copy
     */
    public Metadata withRequestedBy(String requestedBy) {
        return new Metadata(id, nonBlank("requestedBy", requestedBy), requestedAs, entries);
    }

    /**
     * A copy with {@code requestedAs} set.
     *
     * @param requestedAs on whose behalf
     * @return the copy
     */
    public Metadata withRequestedAs(String requestedAs) {
        return new Metadata(id, requestedBy, nonBlank("requestedAs", requestedAs), entries);
    }

    /**
     * A copy with a custom entry added or replaced.
     *
     * @param key the entry's key; not one of {@code id}, {@code requestedBy}, {@code requestedAs}
     * @param value any value Jackson can write
     * @return the copy
     * @throws IllegalArgumentException if the key is reserved or the value cannot be written as JSON
     */
    public Metadata with(String key, Object value) {
        nonBlank("key", key);
        if (RESERVED.contains(key)) {
            throw new IllegalArgumentException("metadata key '" + key + "' is reserved; use with"
                    + Character.toUpperCase(key.charAt(0)) + key.substring(1) + "(..) instead");
        }
        Objects.requireNonNull(value, () -> "metadata entry '" + key + "' is null");
        Map<String, JsonNode> copy = new LinkedHashMap<>(entries);
        copy.put(key, Json.toTree(value, "metadata entry '" + key + "'"));
        return new Metadata(id, requestedBy, requestedAs, Collections.unmodifiableMap(copy));
    }

    /** Reads metadata from its stored form; used by executors and the library itself. */
    static Metadata of(String id, String requestedBy, String requestedAs, Map<String, JsonNode> entries) {
        return new Metadata(id, requestedBy, requestedAs, Collections.unmodifiableMap(new LinkedHashMap<>(entries)));
    }

    Map<String, JsonNode> entries() {
        return entries;
    }

    private static String nonBlank(String what, String value) {
        Objects.requireNonNull(value, what);
        if (value.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Metadata m
                && id.equals(m.id)
                && Objects.equals(requestedBy, m.requestedBy)
                && Objects.equals(requestedAs, m.requestedAs)
                && entries.equals(m.entries);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, requestedBy, requestedAs, entries);
    }

    @Override
    public String toString() {
        return "Metadata[id=" + id + ", requestedBy=" + requestedBy + ", requestedAs=" + requestedAs + ", entries="
                + entries + "]";
    }
}
