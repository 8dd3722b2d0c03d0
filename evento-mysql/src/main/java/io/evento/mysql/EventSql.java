package io.evento.mysql;

import io.evento.EventFilter;
import io.evento.RoutingFilter;
import io.evento.internal.sql.SqlConditions;
import io.evento.internal.sql.SqlQuery;
import io.evento.spi.StoredEvent;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
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
 * follow. Every query also bounds the position by the horizon, {@code position <
 * evento_sequence.next_position}, read in the same statement (so from the same snapshot as the
 * rows): positions above it may still be taken by transactions in flight (see {@link
 * MysqlExecutor}). Each query shape names the index that delivers its rows already in page order
 * ({@code FORCE INDEX}, so the choice does not hang on statistics), and a page costs its own size,
 * never a sort of everything after the cursor:
 *
 * <ul>
 *   <li>no filter: the primary key {@code (position)}, or {@code (routing_key, position)} with a
 *       routing filter; both skip the placeholders that seal burnt positions (empty aggregate type);
 *   <li>by type: {@code (aggregator_type, position)};
 *   <li>by event name: {@code (aggregator_type, name, position)};
 *   <li>by aggregate: the unique {@code (aggregator_type, aggregator_id, version)} index, in version
 *       order. Within one aggregate, version order is position order: version {@code v + 1} is only
 *       inserted after {@code v} committed, so it takes a larger {@code AUTO_INCREMENT} value.
 * </ul>
 *
 * <p>Several filters are OR-ed: each becomes its own ordered, limited subquery on its index, and
 * the page is the first rows of their union, joined back to the table by primary key. At most
 * {@code filters × (size + 1)} index entries are touched and sorted, and only those rows are read in
 * full.
 *
 * <p>Ids, names and keys are {@code VARBINARY} columns holding UTF-8: strings are bound as text
 * (the server compares the bytes) and read back as bytes decoded here, independent of the
 * driver's character-set settings. Every value is a bound parameter; the SQL text depends only on
 * the shape of the query.
 */
final class EventSql {
    private static final String COLUMNS =
            "position, id, aggregator_type, aggregator_id, version, name, routing_key, data, metadata, timestamp";

    private static final String E_COLUMNS = "e.position, e.id, e.aggregator_type, e.aggregator_id, e.version, e.name,"
            + " e.routing_key, e.data, e.metadata, e.timestamp";

    static final String POSITION_INDEX = "PRIMARY";
    static final String TYPE_INDEX = "evento_event_by_type";
    static final String NAME_INDEX = "evento_event_by_name";
    static final String ROUTING_INDEX = "evento_event_by_routing_key";
    static final String AGGREGATE_INDEX = "evento_event_aggregate_version";

    /** The horizon: readers see the positions below it. */
    static final String HORIZON = "(SELECT next_position FROM evento_sequence WHERE name = 'global')";

    /** The most rows one insert statement writes. */
    static final int MAX_ROWS_PER_INSERT = 500;

    /** Rows are added to one insert statement until their payloads pass this many bytes. */
    static final int MAX_BYTES_PER_INSERT = 4 << 20;

    private static final int INSERT_COLUMNS = 10;

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
        List<Object> parameters = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT ");
        if (distinct.size() <= 1) {
            EventFilter filter = distinct.isEmpty() ? null : distinct.getFirst();
            sql.append(COLUMNS).append(" FROM evento_event");
            select(sql, parameters, filter, routing, forward, bound);
        } else {
            sql.append(E_COLUMNS).append(" FROM (");
            for (int i = 0; i < distinct.size(); i++) {
                sql.append(i == 0 ? "(" : " UNION (").append("SELECT position FROM evento_event");
                select(sql, parameters, distinct.get(i), routing, forward, bound);
                sql.append(" LIMIT ?)");
                parameters.add((long) fetch);
            }
            // STRAIGHT_JOIN: the few rows of the union first, then the table by primary key. Left to
            // itself, the optimizer may walk the whole primary key and probe the union instead.
            sql.append(") u STRAIGHT_JOIN evento_event e ON e.position = u.position ORDER BY e.position")
                    .append(forward ? " ASC" : " DESC");
        }
        sql.append(" LIMIT ?");
        parameters.add((long) fetch);
        return new SqlQuery(sql.toString(), List.copyOf(parameters));
    }

    /** Appends the index hint, conditions and order of one filter's rows to a {@code FROM evento_event}. */
    private static void select(
            StringBuilder sql,
            List<Object> parameters,
            EventFilter filter,
            RoutingFilter routing,
            boolean forward,
            Long bound) {
        List<String> conditions = new ArrayList<>(5);
        String index = switch (filter) {
            case null -> routing instanceof RoutingFilter.All ? POSITION_INDEX : ROUTING_INDEX;
            case EventFilter.ByType t -> TYPE_INDEX;
            case EventFilter.ById i -> AGGREGATE_INDEX;
            case EventFilter.ByName n -> NAME_INDEX;
        };
        SqlConditions.filter(filter, "", conditions, parameters);
        SqlConditions.routing(routing, "", conditions, parameters);
        if (filter == null) {
            // Placeholders of burnt positions have an empty type, which no filter matches.
            conditions.add("aggregator_type <> ''");
        }
        if (forward) {
            conditions.add("position > ?");
            parameters.add(bound == null ? 0L : Math.max(bound, 0L));
        } else if (bound != null) {
            conditions.add("position < ?");
            parameters.add(bound);
        }
        conditions.add("position < " + HORIZON);
        sql.append(" FORCE INDEX (")
                .append(index)
                .append(") WHERE ")
                .append(String.join(" AND ", conditions))
                .append(" ORDER BY ")
                .append(filter instanceof EventFilter.ById ? "version" : "position")
                .append(forward ? " ASC" : " DESC");
    }

    /**
     * How many of the events from {@code from} the next insert statement writes: at most {@link
     * #MAX_ROWS_PER_INSERT}, and no more than fit {@link #MAX_BYTES_PER_INSERT} (but at least one).
     * A commit of up to that many events is one multi-row statement, one round trip.
     */
    static int rowsPerInsert(List<StoredEvent> events, int from) {
        int rows = 0;
        long bytes = 0;
        while (from + rows < events.size() && rows < MAX_ROWS_PER_INSERT) {
            StoredEvent e = events.get(from + rows);
            bytes += e.data().length + e.metadata().length + 256L;
            if (rows > 0 && bytes > MAX_BYTES_PER_INSERT) {
                break;
            }
            rows++;
        }
        return rows;
    }

    /** The statement inserting {@code rows} events, from 1 to {@link #MAX_ROWS_PER_INSERT}. */
    static String insert(int rows) {
        String sql = INSERTS[rows];
        if (sql == null) {
            StringBuilder text = new StringBuilder(200 + rows * 34)
                    .append("INSERT INTO evento_event (id, aggregator_type, aggregator_id, version, commit_end,")
                    .append(" name, routing_key, data, metadata, timestamp) VALUES ");
            for (int row = 0; row < rows; row++) {
                text.append(row == 0 ? "" : ", ").append("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
            }
            sql = text.toString();
            INSERTS[rows] = sql;
        }
        return sql;
    }

    /**
     * Binds one event as row {@code row} of an {@link #insert(int)} statement, with the aggregate's
     * routing key and the version that ends its commit. The rows of one statement are inserted in
     * order, so their positions ascend with their versions.
     */
    static void bindInsert(PreparedStatement insert, int row, StoredEvent e, Optional<String> routingKey, int commitEnd)
            throws SQLException {
        int p = row * INSERT_COLUMNS;
        insert.setString(p + 1, e.id());
        insert.setString(p + 2, e.aggregatorType());
        insert.setString(p + 3, e.aggregatorId());
        insert.setInt(p + 4, e.version());
        insert.setInt(p + 5, commitEnd);
        insert.setString(p + 6, e.name());
        if (routingKey.isPresent()) {
            insert.setString(p + 7, routingKey.get());
        } else {
            insert.setNull(p + 7, Types.VARBINARY);
        }
        insert.setBytes(p + 8, e.data());
        insert.setBytes(p + 9, e.metadata());
        insert.setLong(p + 10, e.timestampMicros());
    }

    /** The position of the current row of a query selecting {@code COLUMNS}. */
    static long position(ResultSet rs) throws SQLException {
        return rs.getLong(1);
    }

    /** The event of the current row of a query selecting {@code COLUMNS}. */
    static StoredEvent event(ResultSet rs) throws SQLException {
        return new StoredEvent(
                text(rs, 2),
                text(rs, 3),
                text(rs, 4),
                rs.getInt(5),
                text(rs, 6),
                Optional.ofNullable(text(rs, 7)),
                bytes(rs, 8),
                bytes(rs, 9),
                rs.getLong(10));
    }

    /** A {@code VARBINARY} column holding UTF-8 text, or {@code null}. */
    static String text(ResultSet rs, int column) throws SQLException {
        byte[] value = rs.getBytes(column);
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    /** A BLOB column, never {@code null}. */
    static byte[] bytes(ResultSet rs, int column) throws SQLException {
        byte[] value = rs.getBytes(column);
        return value == null ? EMPTY : value;
    }
}
