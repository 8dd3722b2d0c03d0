package io.evento.internal.sql;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * A statement's text with its parameters in order, as the SQL executors build their page queries.
 *
 * <p>Internal: not part of the API; it may change without notice.
 *
 * @param sql the statement
 * @param parameters strings, longs and ints, bound in order
 */
public record SqlQuery(String sql, List<Object> parameters) {
    /** Copies the parameters. */
    public SqlQuery {
        parameters = List.copyOf(parameters);
    }

    /** Binds the parameters to a statement prepared from {@link #sql()}. */
    public void bind(PreparedStatement statement) throws SQLException {
        for (int i = 0; i < parameters.size(); i++) {
            switch (parameters.get(i)) {
                case String s -> statement.setString(i + 1, s);
                case Long l -> statement.setLong(i + 1, l);
                case Integer n -> statement.setInt(i + 1, n);
                default -> throw new IllegalStateException("unexpected parameter " + parameters.get(i));
            }
        }
    }
}
