package io.evento.spi;

import io.evento.LeaseLostException;
import java.sql.Connection;

/**
 * The JDBC side of a {@link DeadLetterStore}: parking and unparking inside a transaction the
 * application shares with its executor ({@link JdbcExecutor#inTransaction}).
 */
public interface JdbcDeadLetterStore extends DeadLetterStore {

    /**
     * {@link #park(Lease, ParkedEvent)} inside a transaction begun by {@link
     * JdbcExecutor#inTransaction}.
     *
     * @param transaction the connection passed to the work
     * @param lease the worker's lease
     * @param event the event to set aside
     * @throws LeaseLostException if the lease is no longer held; roll the transaction back
     */
    void park(Connection transaction, Lease lease, ParkedEvent event);

    /**
     * {@link #unpark(String, String)} inside a transaction begun by {@link
     * JdbcExecutor#inTransaction}: a parked event retried successfully leaves the dead-letter store
     * only if the retry's writes commit.
     *
     * @param transaction the connection passed to the work
     * @param key the subscription key
     * @param eventId the event's id
     * @return {@code true} if it was parked
     */
    boolean unpark(Connection transaction, String key, String eventId);
}
