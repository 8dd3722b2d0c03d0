package io.evento.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection with its prepared statements, kept for reuse: preparing a statement is a large
 * part of the cost of a small SQLite operation. The cache is bounded (least recently used
 * statements are closed), because read queries vary with their filters.
 *
 * <p>Not thread-safe: it is used by one thread at a time, under the writer's lock or while checked
 * out of the reader pool.
 */
final class Statements implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Statements.class);

    private final Connection connection;
    private final Map<String, PreparedStatement> cache;

    Statements(Connection connection, int capacity) {
        this.connection = connection;
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, PreparedStatement> eldest) {
                if (size() <= capacity) {
                    return false;
                }
                closeQuietly(eldest.getValue());
                return true;
            }
        };
    }

    /** The cached statement for {@code sql}, prepared on first use. */
    PreparedStatement prepare(String sql) throws SQLException {
        PreparedStatement statement = cache.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            cache.put(sql, statement);
        }
        return statement;
    }

    Connection connection() {
        return connection;
    }

    /** Closes the statements and the connection, logging rather than throwing failures. */
    @Override
    public void close() {
        cache.values().forEach(Statements::closeQuietly);
        cache.clear();
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.warn("Closing a SQLite connection failed", e);
        }
    }

    private static void closeQuietly(PreparedStatement statement) {
        try {
            statement.close();
        } catch (SQLException e) {
            LOG.debug("Closing a prepared statement failed", e);
        }
    }
}
