package io.evento;

import java.io.Serial;

/**
 * A projection or subscription with the safety check on met an event it has no handler for and that
 * it does not explicitly skip. See {@link Projection.Builder#safetyCheck()} and {@link
 * Subscription.Builder#safetyCheck()}.
 */
public final class UnhandledEventException extends EventoException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String eventId;
    private final String eventName;

    /**
     * Creates the exception.
     *
     * @param consumer what met the event, such as {@code projection 'balance'}
     * @param eventId the unhandled event's id
     * @param aggregatorType its aggregate type
     * @param aggregatorId its aggregate id
     * @param version its version
     * @param eventName its stored name
     */
    public UnhandledEventException(
            String consumer,
            String eventId,
            String aggregatorType,
            String aggregatorId,
            int version,
            String eventName) {
        super(consumer + " has no handler for event " + eventId + " (" + aggregatorType + "/"
                + aggregatorId + " v" + version + ", " + eventName
                + "); add a handler or skip it explicitly, or turn the safety check off");
        this.eventId = eventId;
        this.eventName = eventName;
    }

    /**
     * The id of the unhandled event.
     *
     * @return the event id
     */
    public String eventId() {
        return eventId;
    }

    /**
     * The stored name of the unhandled event.
     *
     * @return the event name
     */
    public String eventName() {
        return eventName;
    }
}
