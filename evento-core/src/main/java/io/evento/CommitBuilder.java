package io.evento;

import io.evento.internal.EventTypes;
import io.evento.internal.Ulids;
import io.evento.internal.Validation;
import io.evento.spi.StoredEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Collects the events of one commit to one aggregate and writes them atomically. Obtained from
 * {@link Evento#create()}, {@link Evento#aggregator(String)} or {@link Loaded#append()}.
 *
 * <pre>{@code
 * evento.aggregator(accountId)
 *         .originalVersion(3)
 *         .event(new MoneyDeposited(50))
 *         .requestedBy("user-42")
 *         .commit();
 * }</pre>
 *
 * <p>Not thread-safe; use one builder per commit.
 */
public final class CommitBuilder {
    /**
     * How long an append without an expected version keeps re-reading the version after losing
     * races. Bounded by time rather than by a count: on a hot aggregate with slow commits (a WAL
     * flush each), a writer can lose a few dozen rounds in a row and still be perfectly healthy.
     */
    private static final Duration APPEND_PATIENCE = Duration.ofSeconds(10);

    private final Evento evento;
    private final String id;
    private final List<Object> events = new ArrayList<>();
    private Metadata metadata;
    /** The metadata of the commit being written, for events that need their own copy of it. */
    private Metadata commitMetadata;

    private String requestedBy;
    private String requestedAs;
    private String routingKey;
    private Integer originalVersion;
    private boolean committed;

    CommitBuilder(Evento evento, String id) {
        this.evento = evento;
        this.id = id;
        if (id == null) {
            this.originalVersion = 0;
        }
    }

    /**
     * Adds an event. Several events in one commit are written atomically, in this order.
     *
     * @param event a record of a registered family
     * @return this builder
     * @throws IllegalArgumentException if the event's family is not registered, or differs from the
     *     family of the events added before
     */
    public CommitBuilder event(Object event) {
        Objects.requireNonNull(event, "event");
        EventTypes.Descriptor d = evento.types().lookup(event.getClass());
        if (!events.isEmpty()) {
            EventTypes.Descriptor first =
                    evento.types().lookup(events.getFirst().getClass());
            if (first.family() != d.family()) {
                throw new IllegalArgumentException("a commit writes to one aggregate, but "
                        + event.getClass().getSimpleName() + " belongs to '" + d.aggregatorType() + "' and "
                        + events.getFirst().getClass().getSimpleName() + " to '" + first.aggregatorType() + "'");
            }
        }
        events.add(event);
        return this;
    }

    /**
     * Sets the metadata stored with every event of the commit; by default {@link Metadata#create()}.
     *
     * @param metadata the metadata
     * @return this builder
     */
    public CommitBuilder metadata(Metadata metadata) {
        this.metadata = Objects.requireNonNull(metadata, "metadata");
        return this;
    }

    /**
     * Sets who asked for the commit (overrides the metadata's value).
     *
     * @param requestedBy typically a user id
     * @return this builder
     */
    public CommitBuilder requestedBy(String requestedBy) {
        this.requestedBy = Objects.requireNonNull(requestedBy, "requestedBy");
        return this;
    }

    /**
     * Sets on whose behalf the commit is made (overrides the metadata's value).
     *
     * @param requestedAs an impersonated user or a role
     * @return this builder
     */
    public CommitBuilder requestedAs(String requestedAs) {
        this.requestedAs = Objects.requireNonNull(requestedAs, "requestedAs");
        return this;
    }

    /**
     * Sets the routing key of a new aggregate. An aggregate keeps the routing key of its first
     * event: on a commit to an existing aggregate this value is ignored.
     *
     * @param routingKey the routing key, at most {@value Limits#NAME_MAX_LENGTH} characters
     * @return this builder
     */
    public CommitBuilder routingKey(String routingKey) {
        this.routingKey = Validation.name("routingKey", routingKey);
        return this;
    }

    /**
     * Sets the version the aggregate must be at for the commit to succeed: the version it had when
     * it was loaded, or 0 to require that it does not exist yet.
     *
     * @param version the expected version
     * @return this builder
     * @throws IllegalArgumentException if negative
     * @throws IllegalStateException on a {@link Evento#create()} commit, which is always version 0
     */
    public CommitBuilder originalVersion(int version) {
        if (version < 0) {
            throw new IllegalArgumentException("original version must be 0 or more, was " + version);
        }
        if (id == null && version != 0) {
            throw new IllegalStateException(
                    "create() makes a new aggregate, whose original version is 0; use aggregator(id) to append");
        }
        this.originalVersion = version;
        return this;
    }

    /**
     * Writes the events.
     *
     * @return the aggregate id (new for {@link Evento#create()})
     * @throws IllegalStateException if no event was added, or the builder was already committed
     * @throws ConcurrencyException if the aggregate is not at the original version
     */
    public String commit() {
        if (events.isEmpty()) {
            throw new IllegalStateException("nothing to commit: add at least one event with event(..)");
        }
        if (committed) {
            throw new IllegalStateException("this commit was already written; start a new one");
        }
        String aggregateId = id == null ? Ulids.next() : id;
        EventTypes.Descriptor family = evento.types().lookup(events.getFirst().getClass());
        List<byte[]> payloads = new ArrayList<>(events.size());
        for (Object e : events) {
            try {
                payloads.add(evento.codec().encode(e));
            } catch (RuntimeException ex) {
                throw new IllegalArgumentException(
                        "cannot encode " + e.getClass().getName() + ", so nothing was written: " + ex.getMessage(), ex);
            }
        }
        Metadata m = metadata == null ? Metadata.create() : metadata;
        if (requestedBy != null) {
            m = m.withRequestedBy(requestedBy);
        }
        if (requestedAs != null) {
            m = m.withRequestedAs(requestedAs);
        }
        commitMetadata = m;
        byte[] encodedMetadata = MetadataJson.encode(m);

        if (originalVersion != null) {
            evento.executor()
                    .write(stored(aggregateId, family.aggregatorType(), originalVersion, payloads, encodedMetadata));
        } else {
            appendAfterCurrent(aggregateId, family.aggregatorType(), payloads, encodedMetadata);
        }
        committed = true;
        return aggregateId;
    }

    private void appendAfterCurrent(String aggregateId, String type, List<byte[]> payloads, byte[] metadata) {
        long deadline = System.nanoTime() + APPEND_PATIENCE.toNanos();
        for (int attempt = 1; ; attempt++) {
            int current = evento.executor()
                    .lastEvent(type, aggregateId)
                    .map(StoredEvent::version)
                    .orElse(0);
            try {
                evento.executor().write(stored(aggregateId, type, current, payloads, metadata));
                return;
            } catch (ConcurrencyException e) {
                // No version was promised, so losing the race only means reading the new version.
                if (System.nanoTime() - deadline > 0) {
                    throw e;
                }
                // A short, growing, random pause spreads out writers that keep colliding on one
                // aggregate, so the same writer does not lose every round.
                long maxMicros = Math.min(attempt, 10) * 500L;
                try {
                    Thread.sleep(Duration.ofNanos(ThreadLocalRandom.current().nextLong(maxMicros * 1_000 + 1)));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private List<StoredEvent> stored(
            String aggregateId, String type, int fromVersion, List<byte[]> payloads, byte[] metadata) {
        long now = evento.nowMicros();
        // The commit's metadata is shared; events of a later schema version carry it with their
        // version, encoded once per version.
        Map<Integer, byte[]> metadataByVersion = new HashMap<>(2);
        metadataByVersion.put(1, metadata);
        List<StoredEvent> stored = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            EventTypes.Descriptor d = evento.types().lookup(events.get(i).getClass());
            stored.add(new StoredEvent(
                    Ulids.next(),
                    type,
                    aggregateId,
                    fromVersion + i + 1,
                    d.name(),
                    Optional.ofNullable(routingKey),
                    payloads.get(i),
                    metadataByVersion.computeIfAbsent(d.version(), v -> MetadataJson.encode(commitMetadata, v)),
                    now));
        }
        return stored;
    }
}
