package io.evento;

import java.io.Serial;

/**
 * A commit expected an aggregate to be at a version it is no longer (or not yet) at: another commit
 * won the race. Nothing of the rejected commit was written.
 *
 * <p>The usual response is to load the aggregate again, re-check the business rules against the new
 * state and commit with the new version.
 */
public final class ConcurrencyException extends EventoException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String aggregatorType;
    private final String aggregatorId;
    private final int expectedVersion;

    /**
     * Creates the exception.
     *
     * @param aggregatorType the aggregate type of the rejected commit
     * @param aggregatorId the aggregate id of the rejected commit
     * @param expectedVersion the version the commit expected the aggregate to be at
     * @param cause the store's error, may be {@code null}
     */
    public ConcurrencyException(String aggregatorType, String aggregatorId, int expectedVersion, Throwable cause) {
        super(
                "invalid original version: " + aggregatorType + "/" + aggregatorId + " is not at version "
                        + expectedVersion + " (another commit changed it first)",
                cause,
                false);
        this.aggregatorType = aggregatorType;
        this.aggregatorId = aggregatorId;
        this.expectedVersion = expectedVersion;
    }

    /**
     * The aggregate type of the rejected commit.
     *
     * @return the aggregate type
     */
    public String aggregatorType() {
        return aggregatorType;
    }

    /**
     * The aggregate id of the rejected commit.
     *
     * @return the aggregate id
     */
    public String aggregatorId() {
        return aggregatorId;
    }

    /**
     * The version the rejected commit expected; {@code 0} for a commit creating the aggregate.
     *
     * @return the expected version
     */
    public int expectedVersion() {
        return expectedVersion;
    }
}
