package io.evento.spi;

import io.evento.LeaseLostException;
import java.sql.Connection;

/**
 * The JDBC side of a {@link SubscriberStore}: a checkpoint moved inside a transaction the
 * application shares with its executor ({@link JdbcExecutor#inTransaction}).
 */
public interface JdbcSubscriberStore extends SubscriberStore {

    /**
     * {@link #acknowledge(Lease, String)} inside a transaction begun by {@link
     * JdbcExecutor#inTransaction}: the checkpoint moves only if the transaction commits.
     *
     * @param transaction the connection passed to the work
     * @param lease the worker's lease
     * @param cursor the cursor of the last handled event
     * @throws LeaseLostException if the lease is no longer held; roll the transaction back
     */
    void acknowledge(Connection transaction, Lease lease, String cursor);
}
