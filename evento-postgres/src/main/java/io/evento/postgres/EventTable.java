package io.evento.postgres;

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
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The SQL of the event table of one schema, and the mapping between its rows and {@link
 * StoredEvent}s.
 *
 * <h2>The global order</h2>
 *
 * <p>Positions come from an identity sequence, taken when a row is inserted, so two concurrent
 * transactions may commit in the opposite order of their positions: paging by position alone
 * would let a reader pass position 42 before 41 commits, and never see 41. Instead every row
 * carries the id of the transaction that wrote it ({@code txid}, an {@code xid8}), pages are
 * ordered by {@code (txid, position)}, and a page only holds rows whose {@code txid} is below the
 * horizon {@code pg_snapshot_xmin(pg_current_snapshot())}, the oldest transaction still running
 * when the statement started. Every transaction below the horizon has ended, and every transaction
 * that has not yet started writing will get a larger id than any running one, so nothing can ever
 * be committed before a row a reader has already passed. The horizon is computed in the same
 * statement as the page (an {@code InitPlan}, evaluated once), from the statement's own snapshot:
 * the rows it reads and the horizon it applies are consistent. Writers never wait for readers or
 * for each other (apart from two commits to one aggregate, which the unique key serializes).
 *
 * <h2>How a page is read</h2>
 *
 * <p>A page is a keyset query: the rows after (forward) or before (backward) the cursor's {@code
 * (txid, position)}, below the horizon, in that direction, one more than the page size to learn
 * whether more follow. Each query shape is served by an index that yields rows already in order, so
 * that a page costs its own size and never a sort of everything after the cursor: {@code (txid,
 * position)} for the whole log, {@code (aggregator_type, txid, position)} by type, {@code
 * (aggregator_type, name, txid, position)} by event name, {@code (routing_key, txid, position)} by
 * routing key, and the unique {@code (aggregator_type, aggregator_id, version)} by aggregate: within
 * one aggregate, version order is {@code (txid, position)} order, because a commit appending
 * version {@code v + 1} checks in its statement that version {@code v} is committed, so it gets its
 * transaction id after {@code v}'s transaction ended.
 *
 * <p>Statements that load an aggregate or check its version are written so that only the unique
 * index yields the order they ask for ({@code ORDER BY version}): the planner then chooses it even
 * for a generic plan made while the table is young and has no statistics.
 *
 * <p>The order is always written on the table's columns ({@code e.txid, e.position}), never on an
 * output column: ordering by {@code txid::text}, or by an alias of it, is still a valid query but
 * no index delivers that order, and every page becomes a sort of the whole rest of the log.
 * Transaction ids are bound as text and cast ({@code CAST(? AS xid8)}) and read as text in the
 * select list only.
 *
 * <p>Several filters are OR-ed. Each becomes its own ordered, limited subquery on its index, and
 * the page is the first rows of the union of their positions, sorted: at most {@code filters ×
 * (size + 1)} rows are touched and sorted, however long the log.
 *
 * <p>Every value is a bound parameter; the SQL text depends only on the schema and the shape of
 * the query. The schema name is a validated plain identifier, quoted.
 */
final class EventTable {
    /** The most rows one insert statement writes; a larger commit is several statements in one transaction. */
    static final int MAX_ROWS_PER_INSERT = 1000;

    /** The columns of an event, in the order {@link #event(ResultSet, int)} reads them. */
    private static final String EVENT_COLUMNS = "e.id, e.aggregator_type, e.aggregator_id, e.version, e.name,"
            + " e.routing_key, e.data, e.metadata, e.timestamp_micros";

    /** The columns of a page row: position and transaction id, then the event. */
    private static final String PAGE_COLUMNS = "e.position, e.txid::text AS txid_text, " + EVENT_COLUMNS;

    private static final String HORIZON = "(SELECT pg_snapshot_xmin(pg_current_snapshot()))";

    private static final String INSERT_COLUMNS =
            " (id, aggregator_type, aggregator_id, version, name, routing_key, data, metadata, timestamp_micros)";

    private final String events;
    private final String readAggregate;
    private final String lastEvent;

    /** {@code creates[n]} inserts {@code n} rows creating an aggregate; built on first use. */
    private final AtomicReferenceArray<String> creates = new AtomicReferenceArray<>(MAX_ROWS_PER_INSERT + 1);

    /** {@code appends[n]} appends {@code n} rows to an existing aggregate; built on first use. */
    private final AtomicReferenceArray<String> appends = new AtomicReferenceArray<>(MAX_ROWS_PER_INSERT + 1);

    /** A position in the global order: the writing transaction's id, then the row's position. */
    record OrderKey(long txid, long position) {}

    /** The SQL for the tables of {@code schema}, a validated plain identifier. */
    EventTable(String schema) {
        this.events = "\"" + schema + "\".evento_event";
        this.readAggregate = "SELECT " + EVENT_COLUMNS + " FROM " + events + " e"
                + " WHERE e.aggregator_type = ? AND e.aggregator_id = ? AND e.version > ?"
                + " ORDER BY e.version LIMIT ?";
        this.lastEvent = "SELECT " + EVENT_COLUMNS + " FROM " + events + " e"
                + " WHERE e.aggregator_type = ? AND e.aggregator_id = ? ORDER BY e.version DESC LIMIT 1";
    }

    /** The events of one aggregate after a version, in version order: type, id, after, limit. */
    String readAggregate() {
        return readAggregate;
    }

    /** The last event of one aggregate: type, id. */
    String lastEvent() {
        return lastEvent;
    }

    /**
     * The query of one page.
     *
     * @param filters OR-ed filters, empty for all events
     * @param routing the routing filter
     * @param forward the direction
     * @param bound the cursor's order key, exclusive, or {@code null} for the start (end) of the log
     * @param fetch how many rows to fetch
     */
    SqlQuery page(List<EventFilter> filters, RoutingFilter routing, boolean forward, OrderKey bound, int fetch) {
        List<EventFilter> distinct = List.copyOf(new LinkedHashSet<>(filters));
        String direction = forward ? " ASC" : " DESC";
        StringBuilder sql = new StringBuilder("SELECT ")
                .append(PAGE_COLUMNS)
                .append(" FROM ")
                .append(events)
                .append(" e");
        List<Object> parameters = new ArrayList<>();
        if (distinct.size() <= 1) {
            EventFilter filter = distinct.isEmpty() ? null : distinct.getFirst();
            where(sql, parameters, filter, routing, forward, bound);
            order(sql, filter, direction);
        } else {
            sql.append(" WHERE e.position IN (");
            for (int i = 0; i < distinct.size(); i++) {
                EventFilter filter = distinct.get(i);
                sql.append(i == 0 ? "" : " UNION ALL ")
                        .append("(SELECT e.position FROM ")
                        .append(events)
                        .append(" e");
                where(sql, parameters, filter, routing, forward, bound);
                order(sql, filter, direction);
                sql.append(" LIMIT ?)");
                parameters.add(fetch);
            }
            sql.append(") ORDER BY e.txid")
                    .append(direction)
                    .append(", e.position")
                    .append(direction);
        }
        sql.append(" LIMIT ?");
        parameters.add(fetch);
        return new SqlQuery(sql.toString(), List.copyOf(parameters));
    }

    private static void where(
            StringBuilder sql,
            List<Object> parameters,
            EventFilter filter,
            RoutingFilter routing,
            boolean forward,
            OrderKey bound) {
        List<String> conditions = new ArrayList<>(5);
        SqlConditions.filter(filter, "e.", conditions, parameters);
        SqlConditions.routing(routing, "e.", conditions, parameters);
        if (bound != null) {
            conditions.add("(e.txid, e.position) " + (forward ? ">" : "<") + " (CAST(? AS xid8), ?)");
            parameters.add(Long.toString(bound.txid()));
            parameters.add(bound.position());
        }
        conditions.add("e.txid < " + HORIZON);
        sql.append(" WHERE ").append(String.join(" AND ", conditions));
    }

    private static void order(StringBuilder sql, EventFilter filter, String direction) {
        if (filter instanceof EventFilter.ById) {
            // One aggregate's versions are in (txid, position) order (see the class comment), and
            // ordering by version lets the unique index deliver the rows without a sort.
            sql.append(" ORDER BY e.version").append(direction);
        } else {
            sql.append(" ORDER BY e.txid")
                    .append(direction)
                    .append(", e.position")
                    .append(direction);
        }
    }

    /**
     * The statement inserting {@code rows} events that create an aggregate, 9 parameters per row
     * (see {@link #bindCreate}). A second creation of the same aggregate violates the unique key on
     * version 1.
     */
    String create(int rows) {
        String sql = creates.get(rows);
        if (sql == null) {
            StringBuilder text = new StringBuilder(120 + rows * 40)
                    .append("INSERT INTO ")
                    .append(events)
                    .append(INSERT_COLUMNS)
                    .append(" VALUES ");
            for (int row = 0; row < rows; row++) {
                text.append(row == 0 ? "" : ", ").append("(?, ?, ?, ?, ?, ?, ?, ?, ?)");
            }
            sql = text.toString();
            creates.set(rows, sql);
        }
        return sql;
    }

    /**
     * The statement appending {@code rows} events to an aggregate that must be at a given version,
     * in one round trip. It reads the aggregate's last event (once: a materialized CTE) and inserts
     * nothing, an update count of 0, unless that event's version is the expected one; the new
     * events get the aggregate's routing key from it; and if another transaction writes the next
     * version first, the unique key refuses this one. The rows are inserted in the order of the
     * {@code VALUES} list (a nested loop over the single row of the CTE keeps that order), so their
     * positions ascend with their versions.
     *
     * <p>The lookup is written as "the last event", {@code ORDER BY version DESC LIMIT 1}, rather
     * than "the event at version v": only the unique {@code (aggregator_type, aggregator_id,
     * version)} index yields that order, so the planner takes it however little it knows. An
     * equality on all three columns ties, on a young table without statistics, with the other
     * indexes that start with {@code aggregator_type}, and a generic plan made then scans every
     * event of the type on each commit until the table is analyzed.
     *
     * <p>Parameters (see {@link #bindAppend}): type and id of the lookup; type and id of the rows;
     * 6 per row; the expected version.
     */
    String append(int rows) {
        String sql = appends.get(rows);
        if (sql == null) {
            StringBuilder text = new StringBuilder(400 + rows * 24)
                    .append("WITH h AS MATERIALIZED (SELECT c.version, c.routing_key FROM ")
                    .append(events)
                    .append(" c WHERE c.aggregator_type = ? AND c.aggregator_id = ?")
                    .append(" ORDER BY c.version DESC LIMIT 1) INSERT INTO ")
                    .append(events)
                    .append(INSERT_COLUMNS)
                    .append(" SELECT v.id, ?, ?, v.version, v.name, h.routing_key, v.data, v.metadata,")
                    .append(" v.timestamp_micros FROM h, (VALUES ");
            for (int row = 0; row < rows; row++) {
                text.append(row == 0 ? "" : ", ").append("(?, ?, ?, ?, ?, ?)");
            }
            text.append(") AS v (id, version, name, data, metadata, timestamp_micros) WHERE h.version = ?");
            sql = text.toString();
            appends.set(rows, sql);
        }
        return sql;
    }

    /** Binds the events of a {@link #create(int)} statement, with the aggregate's routing key. */
    static void bindCreate(PreparedStatement insert, List<StoredEvent> rows, Optional<String> routingKey)
            throws SQLException {
        String key = routingKey.orElse(null);
        int p = 0;
        for (StoredEvent e : rows) {
            insert.setString(++p, e.id());
            insert.setString(++p, e.aggregatorType());
            insert.setString(++p, e.aggregatorId());
            insert.setInt(++p, e.version());
            insert.setString(++p, e.name());
            insert.setString(++p, key);
            insert.setBytes(++p, e.data());
            insert.setBytes(++p, e.metadata());
            insert.setLong(++p, e.timestampMicros());
        }
    }

    /** Binds the events of an {@link #append(int)} statement, which must follow {@code expected}. */
    static void bindAppend(PreparedStatement insert, List<StoredEvent> rows, int expected) throws SQLException {
        StoredEvent first = rows.getFirst();
        int p = 0;
        insert.setString(++p, first.aggregatorType());
        insert.setString(++p, first.aggregatorId());
        insert.setString(++p, first.aggregatorType());
        insert.setString(++p, first.aggregatorId());
        for (StoredEvent e : rows) {
            insert.setString(++p, e.id());
            insert.setInt(++p, e.version());
            insert.setString(++p, e.name());
            insert.setBytes(++p, e.data());
            insert.setBytes(++p, e.metadata());
            insert.setLong(++p, e.timestampMicros());
        }
        insert.setInt(++p, expected);
    }

    /** The order key of the current row of a page query. */
    static OrderKey orderKey(ResultSet rs) throws SQLException {
        return new OrderKey(Long.parseLong(rs.getString(2)), rs.getLong(1));
    }

    /** The event of the current row of a page query. */
    static StoredEvent pageEvent(ResultSet rs) throws SQLException {
        return event(rs, 3);
    }

    /** The event whose columns start at {@code first} in the current row. */
    static StoredEvent event(ResultSet rs, int first) throws SQLException {
        return new StoredEvent(
                rs.getString(first),
                rs.getString(first + 1),
                rs.getString(first + 2),
                rs.getInt(first + 3),
                rs.getString(first + 4),
                Optional.ofNullable(rs.getString(first + 5)),
                rs.getBytes(first + 6),
                rs.getBytes(first + 7),
                rs.getLong(first + 8));
    }
}
