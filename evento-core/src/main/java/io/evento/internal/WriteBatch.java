package io.evento.internal;

import io.evento.Limits;
import io.evento.spi.StoredEvent;
import java.util.List;

/**
 * Checks the shape of a write, shared by every executor so they all refuse the same batches.
 *
 * <p>Internal: not part of the API; it may change without notice.
 */
public final class WriteBatch {
    private WriteBatch() {}

    /**
     * Checks that events are one aggregate's, with consecutive versions, and returns the version
     * the aggregate must be at ({@code first version - 1}).
     */
    public static int expectedVersion(List<StoredEvent> events) {
        if (events == null || events.isEmpty()) {
            throw new IllegalArgumentException("a write needs at least one event");
        }
        if (events.size() > Limits.COMMIT_MAX_EVENTS) {
            throw new IllegalArgumentException(
                    "a write holds at most " + Limits.COMMIT_MAX_EVENTS + " events, got " + events.size());
        }
        StoredEvent first = events.getFirst();
        for (int i = 1; i < events.size(); i++) {
            StoredEvent e = events.get(i);
            if (!e.aggregatorType().equals(first.aggregatorType())
                    || !e.aggregatorId().equals(first.aggregatorId())) {
                throw new IllegalArgumentException("a write holds events of one aggregate only, got "
                        + first.aggregatorType() + "/" + first.aggregatorId() + " and " + e.aggregatorType() + "/"
                        + e.aggregatorId());
            }
            if (e.version() != first.version() + i) {
                throw new IllegalArgumentException("event versions of a write must be consecutive, got "
                        + first.version() + " then " + e.version() + " at index " + i);
            }
        }
        return first.version() - 1;
    }
}
