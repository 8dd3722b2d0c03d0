package io.evento.internal.sql;

import io.evento.spi.Lease;
import io.evento.spi.SubscriberState;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Subscriber rows: the lease fence and the state every SQL dialect shares, bound and read in one
 * place. How a lease is taken, and the clock its expiry is judged by, stay with each dialect.
 *
 * <ul>
 *   <li>a lease is fenced by {@code key = ? AND worker_id = ? AND token = ?} (then the dialect's
 *       expiry check), wherever that appears in the statement ({@link #bindLease});
 *   <li>the state is selected as {@code SELECT cursor, worker_id, token, expires_at, paused ...
 *       WHERE key = ?} ({@link #readState}).
 * </ul>
 *
 * <p>Internal: shared by the SQL executors, not part of the API; it may change without notice.
 */
public final class SubscriberRows {
    private SubscriberRows() {}

    /**
     * Binds a lease's fence from parameter {@code first} on: key, worker id, token.
     *
     * @param statement the statement, prepared
     * @param first the index of the key parameter
     * @param lease the lease
     * @return the index of the next parameter
     * @throws SQLException if the driver fails
     */
    public static int bindLease(PreparedStatement statement, int first, Lease lease) throws SQLException {
        statement.setString(first, lease.key());
        statement.setString(first + 1, lease.workerId());
        statement.setLong(first + 2, lease.token());
        return first + 3;
    }

    /**
     * The state the select found, if any. A row nobody holds (never leased, reset) has no worker:
     * {@code NULL}, or the empty string where the dialect keeps the column {@code NOT NULL} (a
     * worker id is never empty).
     *
     * @param rs the select's result, before its first row
     * @param columns the dialect's column reading
     * @param key the subscription key, as bound
     * @return the state, or empty if there is no row
     * @throws SQLException if the driver fails
     */
    public static Optional<SubscriberState> readState(ResultSet rs, ColumnReader columns, String key)
            throws SQLException {
        if (!rs.next()) {
            return Optional.empty();
        }
        String worker = columns.text(rs, 2);
        return Optional.of(new SubscriberState(
                key,
                Optional.ofNullable(columns.text(rs, 1)),
                worker == null || worker.isEmpty() ? Optional.empty() : Optional.of(worker),
                rs.getLong(3),
                columns.instant(rs, 4),
                rs.getBoolean(5)));
    }
}
