package io.evento.mysql;

import io.evento.spi.StoredEvent;
import io.evento.tck.ExecutorTck;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * A write held open on purpose: a plain JDBC transaction on its own connection that inserts rows
 * exactly as {@link MysqlExecutor#write} does (positions from {@code AUTO_INCREMENT}, the commit's
 * last version), and commits or rolls back only when told to. Its positions are below those of
 * every commit made meanwhile, the case a reader trusting insert order would get wrong.
 */
final class HeldInsert implements ExecutorTck.HeldWrite, AutoCloseable {
    private final Connection connection;

    HeldInsert(String url, List<StoredEvent> events) {
        try {
            connection = TestDatabases.connect(url);
            connection.setAutoCommit(false);
            int expected = events.getFirst().version() - 1;
            try (PreparedStatement insert = connection.prepareStatement(EventSql.insert(events.size()))) {
                for (int row = 0; row < events.size(); row++) {
                    StoredEvent e = events.get(row);
                    EventSql.bindInsert(insert, row, e, e.routingKey(), expected + events.size());
                }
                insert.executeUpdate();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void commit() {
        try (connection) {
            connection.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void rollback() {
        try (connection) {
            connection.rollback();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
