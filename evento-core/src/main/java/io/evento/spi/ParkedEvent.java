package io.evento.spi;

import io.evento.Limits;
import io.evento.internal.Validation;
import java.time.Instant;
import java.util.Objects;

/**
 * An event a subscription gave up on after its retries and set aside (the dead-letter store), so it
 * could go on with the next one.
 *
 * <p>It refers to the event rather than copying it: events are immutable and never deleted, so
 * {@code (aggregatorType, aggregatorId, version)} finds it again with {@link
 * Executor#readAggregate}.
 *
 * @param key the subscription key
 * @param eventId the event's id
 * @param aggregatorType the event's aggregate type
 * @param aggregatorId the event's aggregate id
 * @param version the event's version
 * @param error what the last attempt failed with, at most {@link Limits#ERROR_MAX_LENGTH} characters
 * @param attempts how many times the handler was tried
 * @param parkedAt when it was set aside
 */
public record ParkedEvent(
        String key,
        String eventId,
        String aggregatorType,
        String aggregatorId,
        int version,
        String error,
        int attempts,
        Instant parkedAt) {
    /**
     * Validates the entry against {@link Limits}.
     *
     * @param key the subscription key
     * @param eventId the event's id
     * @param aggregatorType the aggregate type
     * @param aggregatorId the aggregate id
     * @param version the version
     * @param error the last failure
     * @param attempts how many attempts
     * @param parkedAt when parked
     */
    public ParkedEvent {
        Validation.name("key", key);
        Validation.id("eventId", eventId);
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        if (version < 1) {
            throw new IllegalArgumentException("version must be at least 1, was " + version);
        }
        Objects.requireNonNull(error, "error");
        if (error.indexOf(0) >= 0) {
            throw new IllegalArgumentException("error contains a NUL character");
        }
        if (error.length() > Limits.ERROR_MAX_LENGTH) {
            throw new IllegalArgumentException(
                    "error is " + error.length() + " characters, at most " + Limits.ERROR_MAX_LENGTH + " allowed");
        }
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, was " + attempts);
        }
        Objects.requireNonNull(parkedAt, "parkedAt");
    }
}
