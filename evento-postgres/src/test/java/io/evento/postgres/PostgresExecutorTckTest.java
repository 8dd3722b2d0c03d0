package io.evento.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.internal.WriteBatch;
import io.evento.spi.Executor;
import io.evento.spi.StoredEvent;
import io.evento.tck.ExecutorTck;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;

/**
 * The conformance suite, run against a new schema for every executor it asks for. Held writes are
 * real open transactions on connections of their own, inserting with the executor's own statement.
 */
class PostgresExecutorTckTest extends ExecutorTck {
    private static final TestDatabase DATABASE = new TestDatabase("evento_tck");

    private final List<Connection> heldConnections = new CopyOnWriteArrayList<>();

    @AfterAll
    static void dropSchemas() throws SQLException {
        DATABASE.dropSchemas();
    }

    @Override
    protected Executor newExecutor() {
        return DATABASE.open();
    }

    @Override
    protected HeldWrite holdWrite(Executor store, List<StoredEvent> events) {
        try {
            Connection connection = TestDatabase.connect();
            heldConnections.add(connection);
            connection.setAutoCommit(false);
            assertThat(((PostgresExecutor) store)
                            .eventLog()
                            .insert(connection, events, WriteBatch.expectedVersion(events)))
                    .as("the held write inserted its rows")
                    .isTrue();
            return new HeldWrite() {
                @Override
                public void commit() {
                    end(connection, true);
                }

                @Override
                public void rollback() {
                    end(connection, false);
                }
            };
        } catch (SQLException e) {
            throw new IllegalStateException("cannot hold a write open", e);
        }
    }

    /** Ends the held transactions a failed scenario left open, so they hold back nothing. */
    @AfterEach
    void endHeldWrites() throws SQLException {
        for (Connection connection : heldConnections) {
            if (!connection.isClosed()) {
                connection.rollback();
                connection.close();
            }
        }
        heldConnections.clear();
    }

    private static void end(Connection connection, boolean commit) {
        try (connection) {
            if (commit) {
                connection.commit();
            } else {
                connection.rollback();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot end a held write", e);
        }
    }
}
