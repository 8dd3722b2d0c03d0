package io.evento;

import java.io.Serial;

/**
 * A stored event (its payload, its metadata, or its name) could not be turned back into Java
 * objects. The message names the event: id, aggregate type, aggregate id, version and name.
 */
public final class EventDecodingException extends EventoException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String eventId;
    private final String aggregatorType;
    private final String eventName;

    /**
     * Creates the exception.
     *
     * @param eventId the stored event's id
     * @param aggregatorType its aggregate type
     * @param aggregatorId its aggregate id
     * @param version its version
     * @param eventName its stored name
     * @param problem what could not be decoded
     * @param cause the codec's failure, may be {@code null}
     */
    public EventDecodingException(
            String eventId,
            String aggregatorType,
            String aggregatorId,
            int version,
            String eventName,
            String problem,
            Throwable cause) {
        super(
                "cannot decode event " + eventId + " (" + aggregatorType + "/" + aggregatorId + " v" + version + ", "
                        + eventName + "): " + problem,
                cause,
                false);
        this.eventId = eventId;
        this.aggregatorType = aggregatorType;
        this.eventName = eventName;
    }

    /**
     * The id of the event that failed to decode.
     *
     * @return the event id
     */
    public String eventId() {
        return eventId;
    }

    /**
     * The aggregate type of the event that failed to decode.
     *
     * @return the aggregate type
     */
    public String aggregatorType() {
        return aggregatorType;
    }

    /**
     * The stored name of the event that failed to decode.
     *
     * @return the event name
     */
    public String eventName() {
        return eventName;
    }
}
