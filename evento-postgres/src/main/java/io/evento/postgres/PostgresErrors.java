package io.evento.postgres;

import io.evento.StoreException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;

/**
 * The one place where PostgreSQL errors are classified, by SQLSTATE and never by message text.
 *
 * <p>Transient, so a retry later may succeed:
 *
 * <ul>
 *   <li>class {@code 08}, connection exceptions (the server is unreachable, the connection broke);
 *   <li>{@code 57P01} admin shutdown, {@code 57P02} crash shutdown, {@code 57P03} cannot connect
 *       now (the server is starting or shutting down);
 *   <li>class {@code 53}, insufficient resources (too many connections, out of memory or disk);
 *   <li>{@code 40001} serialization failure and {@code 40P01} deadlock detected;
 *   <li>a {@link SQLTransientConnectionException} without a SQLSTATE: HikariCP's "connection is
 *       not available" when no connection could be had within the connection timeout.
 * </ul>
 *
 * <p>Everything else is permanent. {@code 23505} (unique violation) on the event table is the
 * optimistic-concurrency conflict; the executor turns it into a {@link
 * io.evento.ConcurrencyException} before it reaches this class.
 */
final class PostgresErrors {
    static final String UNIQUE_VIOLATION = "23505";

    private PostgresErrors() {}

    /**
     * The first SQLSTATE found in the exception, its causes and its chained exceptions, if any.
     * Drivers and pools wrap the server's error (HikariCP's timeout carries the last connection
     * failure as its cause), so the state may sit deeper than the top.
     */
    static Optional<String> sqlState(SQLException e) {
        int depth = 0;
        for (Throwable t = e; t != null && depth < 16; depth++) {
            if (t instanceof SQLException q) {
                String state = q.getSQLState();
                if (state != null && !state.isEmpty()) {
                    return Optional.of(state);
                }
                SQLException next = q.getNextException();
                t = next != null ? next : q.getCause();
            } else {
                t = t.getCause();
            }
        }
        return Optional.empty();
    }

    /** Whether a retry later may succeed (see the class comment). */
    static boolean isTransient(SQLException e) {
        Optional<String> state = sqlState(e);
        if (state.isEmpty()) {
            return e instanceof SQLTransientConnectionException;
        }
        return isTransient(state.get());
    }

    /** Whether a SQLSTATE means that a retry later may succeed (see the class comment). */
    static boolean isTransient(String sqlState) {
        return sqlState.startsWith("08")
                || sqlState.startsWith("53")
                || sqlState.equals("57P01")
                || sqlState.equals("57P02")
                || sqlState.equals("57P03")
                || sqlState.equals("40001")
                || sqlState.equals("40P01");
    }

    /** Whether the statement violated a unique constraint. */
    static boolean isUniqueViolation(SQLException e) {
        return e.getSQLState() != null && e.getSQLState().equals(UNIQUE_VIOLATION);
    }

    /** The {@link StoreException} for a failed operation, transient where the SQLSTATE says so. */
    static StoreException failure(String operation, SQLException e) {
        String state = sqlState(e).map(s -> " [SQLSTATE " + s + "]").orElse("");
        return new StoreException(operation + " failed: " + e.getMessage() + state, e, isTransient(e));
    }
}
