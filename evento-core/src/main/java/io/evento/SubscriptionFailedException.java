package io.evento;

import java.io.Serial;

/**
 * A subscription stopped because handling an event failed after all its retries (and failures are
 * not {@linkplain Subscription.Builder#acceptFailure() accepted}). The checkpoint stays just before
 * the event, so the subscription resumes with it once restarted. The cause is the last attempt's
 * failure.
 */
public final class SubscriptionFailedException extends EventoException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String key;
    private final String eventId;
    private final int attempts;

    /**
     * Creates the exception.
     *
     * @param key the subscription (or partition) key
     * @param eventId the failing event's id
     * @param description the failing event, for the message
     * @param attempts how many times it was tried
     * @param cause the last failure
     */
    public SubscriptionFailedException(String key, String eventId, String description, int attempts, Throwable cause) {
        super(
                "subscription '" + key + "' stopped: event " + eventId + " (" + description + ") failed " + attempts
                        + (attempts == 1 ? " time" : " times") + ", last with: " + cause,
                cause,
                false);
        this.key = key;
        this.eventId = eventId;
        this.attempts = attempts;
    }

    /**
     * The key the event failed under.
     *
     * @return the subscription or partition key
     */
    public String key() {
        return key;
    }

    /**
     * The failing event's id.
     *
     * @return the event id
     */
    public String eventId() {
        return eventId;
    }

    /**
     * How many times the event was tried.
     *
     * @return the attempts
     */
    public int attempts() {
        return attempts;
    }
}
