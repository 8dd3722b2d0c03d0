package io.evento.postgres;

import io.evento.ConcurrencyException;
import io.evento.Edge;
import io.evento.InvalidCursorException;
import io.evento.Limits;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.internal.Cursors;
import io.evento.internal.Pages;
import io.evento.internal.Validation;
import io.evento.internal.WriteBatch;
import io.evento.internal.sql.KnownAggregates;
import io.evento.internal.sql.SqlQuery;
import io.evento.internal.sql.Transactions;
import io.evento.spi.EventLog;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.postgresql.PGConnection;
import org.postgresql.PGStatement;

/**
 * The event log of a store: appends, pages of the global order, aggregate loads. The statements,
 * and why they keep the global order, are {@link EventTable}'s; this class runs them.
 *
 * <p>An append must find the aggregate at the version it expects. The log remembers the versions
 * it saw committed, by its own appends and its aggregate loads ({@link KnownAggregates}): events
 * are never deleted, so a remembered version is still there, and the unique key is the only check
 * left, which a plain insert leaves to the database. Otherwise the insert reads the aggregate's
 * last event in the same statement. Either way an append is one statement, one round trip, unless
 * it is larger than {@link EventTable#MAX_ROWS_PER_INSERT} rows.
 *
 * <p>This is the hot path of the store: nothing here allocates more per call than the statement,
 * its rows and the work handed to {@link PostgresConnections#run}.
 */
final class PostgresEvents implements EventLog {
    /** Aggregates whose committed version this executor remembers, to append with a plain insert. */
    private static final int KNOWN_AGGREGATES = 100_000;

    private final PostgresConnections connections;
    private final EventTable table;
    private final String storeId;
    private final CommitNotifications notifications;
    private final KnownAggregates knownAggregates = new KnownAggregates(KNOWN_AGGREGATES);

    /**
     * @param table the statements of the store's event table
     * @param storeId the store id, part of every cursor
     * @param notifications told of every commit
     */
    PostgresEvents(
            PostgresConnections connections, EventTable table, String storeId, CommitNotifications notifications) {
        this.connections = connections;
        this.table = table;
        this.storeId = storeId;
        this.notifications = notifications;
    }

    /** The statements of the event table, for tests to look at their plans. */
    EventTable table() {
        return table;
    }

    @Override
    public void write(List<StoredEvent> events) {
        int expected = WriteBatch.expectedVersion(events);
        StoredEvent first = events.getFirst();
        String type = first.aggregatorType();
        String id = first.aggregatorId();
        connections.run("writing events to " + type + "/" + id, c -> {
            boolean written;
            try {
                if (events.size() <= EventTable.MAX_ROWS_PER_INSERT) {
                    written = insert(c, events, expected);
                } else {
                    written = insertInChunks(c, events, expected);
                }
            } catch (SQLException e) {
                if (PostgresErrors.isUniqueViolation(e)) {
                    throw new ConcurrencyException(type, id, expected, e);
                }
                throw e;
            }
            if (!written) {
                throw new ConcurrencyException(type, id, expected, null);
            }
            return null;
        });
        knownRoutingKey(first, expected)
                .ifPresent(key -> knownAggregates.record(type, id, expected + events.size(), key));
        // After run() returned: the transaction committed and the connection is back in the pool,
        // so listeners that read at once find the events and a free connection.
        notifications.committed();
    }

    /**
     * Inserts events that follow version {@code after} in one statement; {@code false} if nothing
     * was inserted because the aggregate's last committed event is not at version {@code after}
     * (it is behind or ahead of the commit's expectation). If a concurrent transaction writes the
     * next version first, the statement waits for it and then violates the unique key ({@code
     * 23505}). Runs in the connection's transaction: the write path's own in auto-commit mode, a
     * test's open one to hold a write uncommitted.
     */
    boolean insert(Connection c, List<StoredEvent> rows, int after) throws SQLException {
        Optional<Optional<String>> known = knownRoutingKey(rows.getFirst(), after);
        if (known.isPresent()) {
            // Version `after` is committed (or there is none to check): the unique key is the only
            // check left, so a plain insert will do.
            try (PreparedStatement insert = c.prepareStatement(table.create(rows.size()))) {
                EventTable.bindCreate(insert, rows, known.get());
                insert.executeUpdate();
                return true;
            }
        }
        try (PreparedStatement insert = c.prepareStatement(table.append(rows.size()))) {
            EventTable.bindAppend(insert, rows, after);
            return insert.executeUpdate() > 0;
        }
    }

    /**
     * The routing key the events after version {@code after} of {@code first}'s aggregate get, if
     * version {@code after} is known committed: the first event's own for a new aggregate, else the
     * one this executor saw (see {@link KnownAggregates}).
     */
    private Optional<Optional<String>> knownRoutingKey(StoredEvent first, int after) {
        return after == 0
                ? Optional.of(first.routingKey())
                : knownAggregates.routingKeyIfAtVersion(first.aggregatorType(), first.aggregatorId(), after);
    }

    /** Inserts a commit too large for one statement in several, in one transaction. */
    private boolean insertInChunks(Connection c, List<StoredEvent> events, int expected) throws SQLException {
        return Transactions.inOwnTransaction(c, tx -> {
            for (int from = 0; from < events.size(); from += EventTable.MAX_ROWS_PER_INSERT) {
                int to = Math.min(events.size(), from + EventTable.MAX_ROWS_PER_INSERT);
                // Each chunk after the first follows the previous one, just written in this transaction.
                if (!insert(tx, events.subList(from, to), expected + from)) {
                    // Nothing left to commit: the commit that follows does nothing.
                    tx.rollback();
                    return false;
                }
            }
            return true;
        });
    }

    @Override
    public Page<StoredEvent> read(ReadQuery query) {
        Objects.requireNonNull(query, "query");
        connections.ensureOpen();
        PageRequest page = query.page();
        EventTable.OrderKey bound = page.cursor().map(this::decodeCursor).orElse(null);
        int fetch = Pages.fetchSize(page);
        SqlQuery q = table.page(query.filters(), query.routing(), page.isForward(), bound, fetch);
        List<Edge<StoredEvent>> fetched = connections.run("reading events", c -> {
            try (PreparedStatement statement = c.prepareStatement(PAGE_PLAN + q.sql() + PAGE_PLAN_RESET)) {
                binaryRows(c, statement);
                q.bind(statement);
                List<Edge<StoredEvent>> rows = new ArrayList<>(Math.min(fetch, 256));
                // The first results are the settings'; the page is the first result set.
                boolean isResultSet = statement.execute();
                while (!isResultSet && statement.getUpdateCount() != -1) {
                    isResultSet = statement.getMoreResults();
                }
                try (ResultSet rs = statement.getResultSet()) {
                    while (rs.next()) {
                        EventTable.OrderKey key = EventTable.orderKey(rs);
                        rows.add(Edge.lazy(
                                EventTable.pageEvent(rs), () -> Cursors.encode(storeId, key.txid(), key.position())));
                    }
                }
                return rows;
            }
        });
        return Pages.fromFetched(page, fetched);
    }

    /**
     * Sent with every page query, in the same round trip and the same (implicit) transaction; both
     * settings end with it: {@link #PAGE_PLAN_RESET} follows the page, and if the page fails, the
     * implicit transaction rolls the settings back. ({@code SET LOCAL} would do the same with less,
     * but outside an explicit transaction block the server logs a warning for it on every run; and
     * a {@code SELECT set_config(..)} before the page makes the driver send the page's binary
     * result formats for the settings' row.)
     *
     * <p>A page must stream from an index in order, and stop at the limit. On a table without
     * statistics yet (a store just filled by an import, before autovacuum analyzes it) the planner
     * takes the aggregate-type filter for rare, reads every remaining match through a bitmap scan
     * and sorts them for each page, which makes a catch-up quadratic in the log's size (measured: 52
     * ms instead of 0.9 ms per page of 1,000 over 100k events). Bitmap scans never serve a page
     * well, so they are off for it.
     *
     * <p>The page is planned for the values it is run with, every time: after a few runs the server
     * would otherwise switch a prepared statement to a generic plan, made for the average value,
     * which for a filter on a rare aggregate type may walk the whole {@code (txid, position)} index
     * and discard nearly every row where a plan for the actual type reads just the page from the
     * type's index. Planning costs a fraction of a millisecond.
     */
    static final String PAGE_PLAN = "SET enable_bitmapscan = off; SET plan_cache_mode = force_custom_plan; ";

    /** Sent after every page query: the session's own settings back. */
    static final String PAGE_PLAN_RESET = "; RESET enable_bitmapscan; RESET plan_cache_mode";

    /**
     * Has the driver prepare the page statement on the server from its first run, which makes it
     * receive rows in the binary format: payloads arrive as raw bytes instead of hex text, half the
     * bytes on the wire and no hex decoding (the hottest frame of a catch-up's profile before). The
     * plan is still made for each run's values ({@link #PAGE_PLAN}). A connection configured never
     * to prepare on the server ({@code prepareThreshold=0}, as behind a transaction-pooling proxy)
     * keeps its setting.
     */
    private static void binaryRows(Connection c, PreparedStatement statement) throws SQLException {
        if (statement.isWrapperFor(PGStatement.class)
                && c.isWrapperFor(PGConnection.class)
                && c.unwrap(PGConnection.class).getPrepareThreshold() > 0) {
            statement.unwrap(PGStatement.class).setPrepareThreshold(-1);
        }
    }

    private EventTable.OrderKey decodeCursor(String cursor) {
        long[] key = Cursors.decode(storeId, cursor, 2);
        if (key[0] < 0 || key[1] < 0) {
            throw new InvalidCursorException("invalid cursor '" + cursor + "': negative order key");
        }
        return new EventTable.OrderKey(key[0], key[1]);
    }

    @Override
    public List<StoredEvent> readAggregate(String aggregatorType, String aggregatorId, int afterVersion, int limit) {
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        Validation.limit("limit", limit, Limits.PAGE_MAX_SIZE);
        return connections.run("reading aggregate " + aggregatorType + "/" + aggregatorId, c -> {
            try (PreparedStatement statement = c.prepareStatement(table.readAggregate())) {
                statement.setString(1, aggregatorType);
                statement.setString(2, aggregatorId);
                statement.setInt(3, afterVersion);
                statement.setInt(4, limit);
                List<StoredEvent> events = new ArrayList<>(Math.min(limit, 256));
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        events.add(EventTable.event(rs, 1));
                    }
                }
                if (!events.isEmpty()) {
                    StoredEvent last = events.getLast();
                    knownAggregates.record(aggregatorType, aggregatorId, last.version(), last.routingKey());
                }
                return List.copyOf(events);
            }
        });
    }

    @Override
    public Optional<StoredEvent> lastEvent(String aggregatorType, String aggregatorId) {
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        return connections.run("reading the last event of " + aggregatorType + "/" + aggregatorId, c -> {
            try (PreparedStatement statement = c.prepareStatement(table.lastEvent())) {
                statement.setString(1, aggregatorType);
                statement.setString(2, aggregatorId);
                try (ResultSet rs = statement.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<StoredEvent>empty();
                    }
                    StoredEvent last = EventTable.event(rs, 1);
                    knownAggregates.record(aggregatorType, aggregatorId, last.version(), last.routingKey());
                    return Optional.of(last);
                }
            }
        });
    }
}
