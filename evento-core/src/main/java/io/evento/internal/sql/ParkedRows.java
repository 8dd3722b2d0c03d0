package io.evento.internal.sql;

import io.evento.spi.ParkedEvent;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Parked-event rows (the dead-letter store): the columns every SQL dialect shares, bound and read
 * in one place. The SQL text stays with each dialect, and so does the lease check that fences a
 * park (one statement or two) and the binding of {@code parked_at}, which each dialect stores its
 * own way.
 *
 * <ul>
 *   <li>an entry is bound as {@code key, event_id, aggregator_type, aggregator_id, version, error,
 *       attempts}, then {@code parked_at} by the caller ({@link #bindEntry});
 *   <li>a list is selected as {@code SELECT event_id, aggregator_type, aggregator_id, version,
 *       error, attempts, parked_at ... WHERE key = ? ORDER BY seq LIMIT ?} ({@link #bindList},
 *       {@link #readList});
 *   <li>an entry is deleted by {@code key = ? AND event_id = ?} ({@link #bindId}).
 * </ul>
 *
 * <p>Internal: shared by the SQL executors, not part of the API; it may change without notice.
 */
public final class ParkedRows {
    private ParkedRows() {}

    /**
     * Binds an entry's columns but its time, from parameter {@code first} on.
     *
     * @param statement the insert or upsert, prepared
     * @param first the index of the {@code key} parameter
     * @param event the entry
     * @return the index of the next parameter: {@code parked_at}'s, for the caller to bind
     * @throws SQLException if the driver fails
     */
    public static int bindEntry(PreparedStatement statement, int first, ParkedEvent event) throws SQLException {
        int p = first;
        statement.setString(p++, event.key());
        statement.setString(p++, event.eventId());
        statement.setString(p++, event.aggregatorType());
        statement.setString(p++, event.aggregatorId());
        statement.setInt(p++, event.version());
        statement.setString(p++, event.error());
        statement.setInt(p++, event.attempts());
        return p;
    }

    /**
     * Binds the key and limit of the list select.
     *
     * @param select the select, prepared
     * @param key the subscription key
     * @param limit the most entries
     * @throws SQLException if the driver fails
     */
    public static void bindList(PreparedStatement select, String key, int limit) throws SQLException {
        select.setString(1, key);
        select.setInt(2, limit);
    }

    /**
     * The entries the list select found, in its order.
     *
     * @param rs the select's result, before its first row
     * @param columns the dialect's column reading
     * @param key the subscription key, as bound
     * @param limit the limit, as bound (sizes the list)
     * @return the entries, unmodifiable
     * @throws SQLException if the driver fails
     */
    public static List<ParkedEvent> readList(ResultSet rs, ColumnReader columns, String key, int limit)
            throws SQLException {
        List<ParkedEvent> entries = new ArrayList<>(Math.min(limit, 256));
        while (rs.next()) {
            entries.add(new ParkedEvent(
                    key,
                    columns.text(rs, 1),
                    columns.text(rs, 2),
                    columns.text(rs, 3),
                    rs.getInt(4),
                    // The error is text people read, stored as text in every dialect.
                    rs.getString(5),
                    rs.getInt(6),
                    columns.instant(rs, 7)));
        }
        return List.copyOf(entries);
    }

    /**
     * Binds the key of one entry, for the delete.
     *
     * @param delete the delete, prepared
     * @param key the subscription key
     * @param eventId the event's id
     * @throws SQLException if the driver fails
     */
    public static void bindId(PreparedStatement delete, String key, String eventId) throws SQLException {
        delete.setString(1, key);
        delete.setString(2, eventId);
    }
}
