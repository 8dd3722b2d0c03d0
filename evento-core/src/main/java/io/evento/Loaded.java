package io.evento;

import java.util.Objects;
import java.util.Optional;

/**
 * A projection's state as loaded, with the aggregate's current version and routing key.
 *
 * <p>Commit the next events with {@link #append()}: the version is pre-set, so a concurrent commit
 * in between is detected as a {@link ConcurrencyException}.
 *
 * @param <S> the state type
 */
public final class Loaded<S> {
    private final Evento evento;
    private final String aggregatorType;
    private final String id;
    private final S state;
    private final int version;
    private final Optional<String> routingKey;

    Loaded(Evento evento, String aggregatorType, String id, S state, int version, Optional<String> routingKey) {
        this.evento = evento;
        this.aggregatorType = aggregatorType;
        this.id = id;
        this.state = state;
        this.version = version;
        this.routingKey = routingKey;
    }

    /**
     * The folded state.
     *
     * @return the state
     */
    public S state() {
        return state;
    }

    /**
     * The aggregate id.
     *
     * @return the id
     */
    public String id() {
        return id;
    }

    /**
     * The aggregate type.
     *
     * @return the aggregate type
     */
    public String aggregatorType() {
        return aggregatorType;
    }

    /**
     * The version of the aggregate's last event.
     *
     * @return the version, 1 or more
     */
    public int version() {
        return version;
    }

    /**
     * The aggregate's routing key, if it has one.
     *
     * @return the routing key
     */
    public Optional<String> routingKey() {
        return routingKey;
    }

    /**
     * A commit to this aggregate that succeeds only if nothing was committed to it since it was
     * loaded.
     *
     * @return the commit builder with the original version set
     */
    public CommitBuilder append() {
        return evento.aggregator(id).originalVersion(version);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Loaded<?> l
                && aggregatorType.equals(l.aggregatorType)
                && id.equals(l.id)
                && version == l.version
                && Objects.equals(state, l.state)
                && routingKey.equals(l.routingKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(aggregatorType, id, version, state);
    }

    @Override
    public String toString() {
        return "Loaded[" + aggregatorType + "/" + id + " v" + version
                + routingKey.map(k -> " @" + k).orElse("") + ": " + state + "]";
    }
}
