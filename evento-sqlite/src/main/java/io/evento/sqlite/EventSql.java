package io.evento.sqlite;

import io.evento.EventFilter;
import io.evento.RoutingFilter;
import io.evento.internal.sql.SqlConditions;
import io.evento.internal.sql.SqlQuery;
import io.evento.spi.StoredEvent;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * The SQL of the event table, and the mapping between its rows and {@link StoredEvent}s.
 *
 * <h2>How a page is read</h2>
 *
 * <p>A page is a keyset query on {@code position}: the rows after (forward) or before (backward)
 * the cursor's position, in that direction, one more than the page size to learn whether more
 * follow. The query shape depends on the filters, and each shape is served by an index that
 * delivers rows already in position order, so a page costs its own size and never a sort of
 * everything after the cursor:
 *
 * <ul>
 *   <li>no filter: the table itself (the rowid is the position), or {@code (routing_key,
 *       position)} with a routing filter;
 *   <li>by type: {@code (aggregator_type, position)};
 *   <li>by event name: {@code (aggregator_type, name, position)};
 *   <li>by aggregate: the unique {@code (aggregator_type, aggregator_id, version)} index, in version
 *       order. Within one aggregate, version order is position order: the single writer only
 *       appends version {@code v + 1} after {@code v} is committed. Without statistics SQLite
 *       would rather use the range on {@code position} of the type index and sort the whole type,
 *       so the routing and position terms are written with a unary {@code +}, which keeps them
 *       from choosing an index.
 * </ul>
 *
 * <p>Several filters are OR-ed. A plain {@code OR} would let SQLite collect every matching row
 * after the cursor and sort them, which makes each page of a long catch-up cost the whole rest of
 * the log. Instead each filter becomes its own ordered, limited subquery on its index, and the page
 * is the first rows of their union: at most {@code filters × (size + 1)} rows are touched.
 *
 * <p>Every value is a bound parameter; the SQL text depends only on the shape of the query.
 */
final class EventSql {
    private static final String COLUMNS =
            "position, id, aggregator_type, aggregator_id, version, name, routing_key, data, metadata, timestamp";

    /** The most rows one insert statement writes: 128 rows of 9 values stay far below SQLite's 32766. */
    static final int MAX_ROWS_PER_INSERT = 128;

    private static final int INSERT_COLUMNS = 9;

    /** {@code INSERTS[n]} inserts {@code n} rows; built on first use (a benign race: strings are immutable). */
    private static final String[] INSERTS = new String[MAX_ROWS_PER_INSERT + 1];

    static final String ROUTING_KEY_AT_VERSION =
            "SELECT routing_key FROM evento_event" + " WHERE aggregator_type = ? AND aggregator_id = ? AND version = ?";

    static final String READ_AGGREGATE = "SELECT " + COLUMNS + " FROM evento_event"
            + " WHERE aggregator_type = ? AND aggregator_id = ? AND version > ? ORDER BY version LIMIT ?";

    static final String LAST_EVENT = "SELECT " + COLUMNS + " FROM evento_event"
            + " WHERE aggregator_type = ? AND aggregator_id = ? ORDER BY version DESC LIMIT 1";

    private static final byte[] EMPTY = new byte[0];

    private EventSql() {}

    /**
     * The query of one page.
     *
     * @param filters OR-ed filters, empty for all events
     * @param routing the routing filter
     * @param forward the direction
     * @param bound the cursor's position, exclusive, or {@code null} for the start (end) of the log
     * @param fetch how many rows to fetch
     */
    static SqlQuery page(List<EventFilter> filters, RoutingFilter routing, boolean forward, Long bound, int fetch) {
        List<EventFilter> distinct = List.copyOf(new LinkedHashSet<>(filters));
        String direction = forward ? " ASC" : " DESC";
        StringBuilder sql = new StringBuilder("SELECT ").append(COLUMNS).append(" FROM evento_event");
        List<Object> parameters = new ArrayList<>();
        if (distinct.size() <= 1) {
            EventFilter filter = distinct.isEmpty() ? null : distinct.getFirst();
            where(sql, parameters, filter, routing, forward, bound);
            sql.append(" ORDER BY ").append(orderColumn(filter)).append(direction);
        } else {
            sql.append(" WHERE position IN (");
            for (int i = 0; i < distinct.size(); i++) {
                EventFilter filter = distinct.get(i);
                sql.append(i == 0 ? "" : " UNION ALL ")
                        .append("SELECT position FROM (SELECT position FROM evento_event");
                where(sql, parameters, filter, routing, forward, bound);
                sql.append(" ORDER BY ")
                        .append(orderColumn(filter))
                        .append(direction)
                        .append(" LIMIT ?)");
                parameters.add((long) fetch);
            }
            sql.append(") ORDER BY position").append(direction);
        }
        sql.append(" LIMIT ?");
        parameters.add((long) fetch);
        return new SqlQuery(sql.toString(), List.copyOf(parameters));
    }

    private static void where(
            StringBuilder sql,
            List<Object> parameters,
            EventFilter filter,
            RoutingFilter routing,
            boolean forward,
            Long bound) {
        List<String> conditions = new ArrayList<>(4);
        // "+column" is the same value, but no index is chosen for it (see the class comment).
        String noIndex = filter instanceof EventFilter.ById ? "+" : "";
        SqlConditions.filter(filter, "", conditions, parameters);
        SqlConditions.routing(routing, noIndex, conditions, parameters);
        if (bound != null) {
            conditions.add(noIndex + (forward ? "position > ?" : "position < ?"));
            parameters.add(bound);
        }
        if (!conditions.isEmpty()) {
            sql.append(" WHERE ").append(String.join(" AND ", conditions));
        }
    }

    private static String orderColumn(EventFilter filter) {
        // One aggregate's versions are in position order (see the class comment), and ordering by
        // version lets the unique index deliver the rows without a sort.
        return filter instanceof EventFilter.ById ? "version" : "position";
    }

    /**
     * How many of {@code remaining} rows the next insert statement writes. A commit of up to {@link
     * #MAX_ROWS_PER_INSERT} events is one multi-row statement: one native round trip instead of
     * one per event, which is what makes large commits as fast as raw JDBC's best.
     */
    static int rowsPerInsert(int remaining) {
        return Math.min(remaining, MAX_ROWS_PER_INSERT);
    }

    /** The statement inserting {@code rows} events, from 1 to {@link #MAX_ROWS_PER_INSERT}. */
    static String insert(int rows) {
        String sql = INSERTS[rows];
        if (sql == null) {
            StringBuilder text = new StringBuilder(200 + rows * 30)
                    .append("INSERT INTO evento_event (id, aggregator_type, aggregator_id, version, name,")
                    .append(" routing_key, data, metadata, timestamp) VALUES ");
            for (int row = 0; row < rows; row++) {
                text.append(row == 0 ? "" : ", ").append("(?, ?, ?, ?, ?, ?, ?, ?, ?)");
            }
            sql = text.toString();
            INSERTS[rows] = sql;
        }
        return sql;
    }

    /**
     * Binds one event as row {@code row} of an {@link #insert(int)} statement, with the aggregate's
     * routing key. SQLite inserts the rows of one statement in order, so their positions ascend
     * with their versions.
     */
    static void bindInsert(PreparedStatement insert, int row, StoredEvent e, Optional<String> routingKey)
            throws SQLException {
        int p = row * INSERT_COLUMNS;
        insert.setString(p + 1, e.id());
        insert.setString(p + 2, e.aggregatorType());
        insert.setString(p + 3, e.aggregatorId());
        insert.setInt(p + 4, e.version());
        insert.setString(p + 5, e.name());
        insert.setString(p + 6, routingKey.orElse(null));
        insert.setBytes(p + 7, e.data());
        insert.setBytes(p + 8, e.metadata());
        insert.setLong(p + 9, e.timestampMicros());
    }

    /** The position of the current row of a query selecting {@code COLUMNS}. */
    static long position(ResultSet rs) throws SQLException {
        return rs.getLong(1);
    }

    /** The event of the current row of a query selecting {@code COLUMNS}. */
    static StoredEvent event(ResultSet rs) throws SQLException {
        return new StoredEvent(
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getInt(5),
                rs.getString(6),
                Optional.ofNullable(rs.getString(7)),
                bytes(rs, 8),
                bytes(rs, 9),
                rs.getLong(10));
    }

    /** A BLOB column; sqlite-jdbc returns {@code null} for a zero-length BLOB. */
    static byte[] bytes(ResultSet rs, int column) throws SQLException {
        byte[] value = rs.getBytes(column);
        return value == null ? EMPTY : value;
    }
}
