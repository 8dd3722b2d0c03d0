package io.evento.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.EventFilter;
import io.evento.RoutingFilter;
import io.evento.internal.sql.SqlQuery;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks with {@code EXPLAIN} on a populated store (100,000 events, analyzed) that every query the
 * executor sends is served by an index that yields rows in the order asked for: no sort of
 * everything after the cursor and no sequential scan, so that a page costs its own size however
 * long the log is.
 *
 * <p>The data is shaped so that the planner has a clear best index for the rare values the shapes
 * ask for (a rare type, a rare event name, a rare routing key, few events without a routing key):
 * for those the test also names the index it expects.
 */
class PostgresQueryPlanTest {
    private static final TestDatabase DATABASE = new TestDatabase("evento_plan");

    private static final int COMMITS = 100;
    private static final int ROWS_PER_COMMIT = 1_000;
    private static final int FETCH = 101;
    private static final Pattern SORT_ROWS = Pattern.compile("Sort {2}\\(cost=[0-9.]+ rows=([0-9]+)");

    private static final String TXID_INDEX = "evento_event_txid_position";
    private static final String TYPE_INDEX = "evento_event_type_txid_position";
    private static final String NAME_INDEX = "evento_event_name_txid_position";
    private static final String ROUTING_INDEX = "evento_event_routing_txid_position";
    private static final String AGGREGATE_INDEX = "evento_event_aggregate_version";

    private static final EventFilter COMMON_TYPE = new EventFilter.ByType("type-3");
    private static final EventFilter RARE_TYPE = new EventFilter.ByType("rare");
    private static final EventFilter RARE_NAME = new EventFilter.ByName("type-3", "rare-name");
    private static final EventFilter AGGREGATE = new EventFilter.ById("type-3", "a-777");

    private static PostgresExecutor executor;
    private static String schema;
    private static EventTable.OrderKey middle;

    @BeforeAll
    static void populate() throws SQLException {
        schema = DATABASE.newSchema();
        executor = TestDatabase.open(schema);
        String events = "\"" + schema + "\".evento_event";
        try (Connection c = TestDatabase.connect();
                Statement statement = c.createStatement()) {
            // One transaction per statement, so that the log has many transaction ids, as a real one.
            for (int commit = 0; commit < COMMITS; commit++) {
                int from = commit * ROWS_PER_COMMIT;
                statement.execute("INSERT INTO " + events + " (id, aggregator_type, aggregator_id, version, name,"
                        + " routing_key, data, metadata, timestamp_micros)"
                        + " SELECT 'id-' || n, 'type-' || (n / 10) % 10, 'a-' || n / 10, n % 10 + 1,"
                        + " CASE WHEN n % 997 = 0 THEN 'rare-name' ELSE 'name-' || n % 5 END,"
                        + " CASE WHEN n % 1009 = 0 THEN NULL WHEN n % 1013 = 0 THEN 'rare-key'"
                        + " ELSE 'key-' || (n / 10) % 20 END,"
                        + " '\\x01', '\\x7b7d', 0 FROM generate_series(" + from + ", " + (from + ROWS_PER_COMMIT - 1)
                        + ") n");
            }
            statement.execute("INSERT INTO " + events + " (id, aggregator_type, aggregator_id, version, name,"
                    + " routing_key, data, metadata, timestamp_micros)"
                    + " SELECT 'rare-' || n, 'rare', 'r-' || n, 1, 'Opened', 'key-1', '\\x01', '\\x7b7d', 0"
                    + " FROM generate_series(1, 20) n");
            statement.execute("ANALYZE " + events);
            try (ResultSet rs = statement.executeQuery("SELECT txid::text, position FROM " + events
                    + " WHERE position = " + (COMMITS * ROWS_PER_COMMIT / 2))) {
                assertThat(rs.next()).isTrue();
                middle = new EventTable.OrderKey(Long.parseLong(rs.getString(1)), rs.getLong(2));
            }
        }
    }

    @AfterAll
    static void dropSchemas() throws SQLException {
        executor.close();
        DATABASE.dropSchemas();
    }

    private record Shape(String description, SqlQuery query, List<String> expected) {}

    private static List<Shape> singleFilterShapes() {
        List<Shape> shapes = new ArrayList<>();
        for (boolean forward : new boolean[] {true, false}) {
            String d = forward ? "forward" : "backward";
            shapes.add(
                    shape(d + ", all events, from the start", List.of(), RoutingFilter.ALL, forward, null, TXID_INDEX));
            shapes.add(shape(
                    d + ", all events, after a cursor", List.of(), RoutingFilter.ALL, forward, middle, TXID_INDEX));
            shapes.add(shape(
                    d + ", a rare routing key",
                    List.of(),
                    RoutingFilter.key("rare-key"),
                    forward,
                    middle,
                    ROUTING_INDEX));
            shapes.add(shape(d + ", a common routing key", List.of(), RoutingFilter.key("key-7"), forward, middle));
            shapes.add(shape(
                    d + ", the rare events without routing key",
                    List.of(),
                    RoutingFilter.NONE,
                    forward,
                    middle,
                    ROUTING_INDEX));
            shapes.add(shape(d + ", a rare type", List.of(RARE_TYPE), RoutingFilter.ALL, forward, middle, TYPE_INDEX));
            shapes.add(shape(
                    d + ", a rare type from the start",
                    List.of(RARE_TYPE),
                    RoutingFilter.ALL,
                    forward,
                    null,
                    TYPE_INDEX));
            shapes.add(shape(d + ", a common type", List.of(COMMON_TYPE), RoutingFilter.ALL, forward, middle));
            shapes.add(shape(
                    d + ", a common type with a routing key (no index of its own)",
                    List.of(COMMON_TYPE),
                    RoutingFilter.key("key-3"),
                    forward,
                    middle));
            shapes.add(shape(d + ", a rare name", List.of(RARE_NAME), RoutingFilter.ALL, forward, middle, NAME_INDEX));
            shapes.add(shape(
                    d + ", an aggregate", List.of(AGGREGATE), RoutingFilter.ALL, forward, middle, AGGREGATE_INDEX));
            shapes.add(shape(
                    d + ", an aggregate without routing key",
                    List.of(AGGREGATE),
                    RoutingFilter.NONE,
                    forward,
                    null,
                    AGGREGATE_INDEX));
        }
        return shapes;
    }

    private static Shape shape(
            String description,
            List<EventFilter> filters,
            RoutingFilter routing,
            boolean forward,
            EventTable.OrderKey bound,
            String... expected) {
        return new Shape(
                description,
                executor.eventLog().table().page(filters, routing, forward, bound, FETCH),
                List.of(expected));
    }

    @Test
    void every_single_filter_page_reads_an_index_in_page_order_or_sorts_no_more_than_a_page() throws SQLException {
        try (Connection c = TestDatabase.connect()) {
            for (Shape shape : singleFilterShapes()) {
                List<String> plan = plan(c, shape.query().sql(), shape.query().parameters());

                assertThat(plan).as(shape.description()).noneMatch(line -> line.contains("Seq Scan"));
                assertThat(plan).as(shape.description()).anyMatch(line -> line.contains("Index"));
                // A sort is fine only over the few rows an index finds when they are fewer than a page.
                assertThat(sortedRows(plan)).as(shape.description()).allMatch(rows -> rows <= FETCH);
                for (String index : shape.expected()) {
                    assertThat(plan).as(shape.description()).anyMatch(line -> line.contains(index));
                }
            }
        }
    }

    @Test
    void pages_of_common_values_are_read_in_index_order_without_any_sort() throws SQLException {
        try (Connection c = TestDatabase.connect()) {
            for (Shape shape : singleFilterShapes()) {
                if (shape.description().contains("rare")
                        || shape.description().contains("aggregate")
                        || shape.description().contains("no index of its own")) {
                    continue;
                }
                List<String> plan = plan(c, shape.query().sql(), shape.query().parameters());

                assertThat(plan).as(shape.description()).noneMatch(line -> line.contains("Sort"));
                assertThat(plan).as(shape.description()).noneMatch(line -> line.contains("Bitmap"));
                assertThat(plan).as(shape.description()).anyMatch(line -> line.contains("Index Scan"));
            }
        }
    }

    @Test
    void the_horizon_and_the_cursor_bound_the_index_scan_itself() throws SQLException {
        try (Connection c = TestDatabase.connect()) {
            SqlQuery query = executor.eventLog().table().page(List.of(), RoutingFilter.ALL, true, middle, 101);

            List<String> plan = plan(c, query.sql(), query.parameters());

            assertThat(plan)
                    .as("the cursor and the horizon are index conditions, not filters")
                    .anyMatch(line -> line.contains("Index Cond: ((ROW(txid, \"position\") > ROW(")
                            && line.contains("AND (txid < $0))"));
            assertThat(plan).as("the horizon is computed once").anyMatch(line -> line.contains("InitPlan"));
        }
    }

    @Test
    void several_filters_read_each_from_its_index_and_sort_only_their_limited_union() throws SQLException {
        List<List<EventFilter>> combinations = List.of(
                List.of(RARE_TYPE, RARE_NAME),
                List.of(RARE_TYPE, AGGREGATE, RARE_NAME),
                List.of(COMMON_TYPE, new EventFilter.ByType("type-4")));
        try (Connection c = TestDatabase.connect()) {
            for (List<EventFilter> filters : combinations) {
                for (boolean forward : new boolean[] {true, false}) {
                    SqlQuery query =
                            executor.eventLog().table().page(filters, RoutingFilter.ALL, forward, middle, FETCH);
                    String description = filters + (forward ? " forward" : " backward");

                    List<String> plan = plan(c, query.sql(), query.parameters());

                    assertThat(plan).as(description).noneMatch(line -> line.contains("Seq Scan"));
                    assertThat(sortedRows(plan))
                            .as(description + ": sorts of at most the union of the limited subqueries")
                            .allMatch(rows -> rows <= (long) filters.size() * FETCH);
                    assertThat(plan.stream().filter(line -> line.contains("->  Limit")))
                            .as(description + ": every subquery is limited")
                            .hasSize(filters.size());
                }
            }
        }
    }

    @Test
    void loading_an_aggregate_and_appending_to_it_use_the_aggregate_index_even_when_planned_generically()
            throws SQLException {
        try (Connection c = TestDatabase.connect()) {
            assertAggregateStatementsUseTheAggregateIndex(c, executor.eventLog().table());
        }
    }

    @Test
    void on_a_young_table_without_statistics_generic_plans_still_use_the_aggregate_index() throws SQLException {
        String young = DATABASE.newSchema();
        try (PostgresExecutor store = TestDatabase.open(young);
                Connection c = TestDatabase.connect()) {
            // One aggregate of many events in a table never analyzed: the other indexes starting with
            // aggregator_type look as good as the unique one to a planner without statistics.
            try (Statement statement = c.createStatement()) {
                statement.execute("INSERT INTO \"" + young + "\".evento_event (id, aggregator_type, aggregator_id,"
                        + " version, name, data, metadata, timestamp_micros) SELECT 'id-' || n, 'type-3', 'a-777', n,"
                        + " 'N', '', '', 0 FROM generate_series(1, 2000) n");
            }
            assertAggregateStatementsUseTheAggregateIndex(c, store.eventLog().table());
        }
    }

    @Test
    void on_a_young_table_without_statistics_a_page_streams_from_its_index_instead_of_sorting_every_match()
            throws SQLException {
        String young = DATABASE.newSchema();
        try (PostgresExecutor store = TestDatabase.open(young);
                Connection c = TestDatabase.connect()) {
            // An import just written, not analyzed yet: the planner takes the type filter for rare.
            try (Statement statement = c.createStatement()) {
                for (int commit = 0; commit < 50; commit++) {
                    statement.execute("INSERT INTO \"" + young + "\".evento_event (id, aggregator_type,"
                            + " aggregator_id, version, name, data, metadata, timestamp_micros) SELECT 'id-' || n,"
                            + " 'bench', 'a-" + commit + "', n, 'N', '\\x01', '\\x7b7d', 0"
                            + " FROM generate_series(1, 1000) n");
                }
            }
            SqlQuery page = store.eventLog()
                    .table()
                    .page(List.of(new EventFilter.ByType("bench")), RoutingFilter.ALL, true, null, 1001);

            c.setAutoCommit(false);
            List<String> unguarded = plan(c, page.sql(), page.parameters());
            try (Statement statement = c.createStatement()) {
                statement.execute(PostgresEvents.PAGE_PLAN);
            }
            List<String> guarded = plan(c, page.sql(), page.parameters());
            c.rollback();

            assertThat(unguarded)
                    .as("without the page's plan settings, every match is read and sorted")
                    .anyMatch(line -> line.contains("Bitmap Heap Scan"))
                    .anyMatch(line -> line.contains("Sort"));
            assertThat(guarded)
                    .as("with them, the page streams from the type index and stops at the limit")
                    .anyMatch(line -> line.contains(TYPE_INDEX))
                    .noneMatch(line -> line.contains("Sort") || line.contains("Bitmap"));
        }
    }

    private static void assertAggregateStatementsUseTheAggregateIndex(Connection c, EventTable sql)
            throws SQLException {
        try (Statement statement = c.createStatement()) {
            // Statements run often are planned once for any value (a generic plan); check that one.
            statement.execute("SET plan_cache_mode = force_generic_plan");
            List<String> load =
                    genericPlan(statement, sql.readAggregate(), "text, text, int, int", "'type-3', 'a-777', 0, 100");
            List<String> last = genericPlan(statement, sql.lastEvent(), "text, text", "'type-3', 'a-777'");
            List<String> append = genericPlan(
                    statement,
                    sql.append(2),
                    "text, text, text, text, text, int, text, bytea, bytea, bigint,"
                            + " text, int, text, bytea, bytea, bigint, int",
                    "'type-3', 'a-777', 'type-3', 'a-777', 'x1', 11, 'N', '\\x01', '\\x02', 5,"
                            + " 'x2', 12, 'N', '\\x01', '\\x02', 5, 10");
            statement.execute("RESET plan_cache_mode");

            assertThat(load)
                    .anyMatch(line -> line.contains("Index Scan using " + AGGREGATE_INDEX))
                    .noneMatch(line -> line.contains("Sort"));
            assertThat(last)
                    .anyMatch(line -> line.contains("Index Scan Backward using " + AGGREGATE_INDEX))
                    .noneMatch(line -> line.contains("Sort"));
            assertThat(append)
                    .as("one lookup of the aggregate's last event, then the rows in VALUES order")
                    .anyMatch(line -> line.contains("Index Scan Backward using " + AGGREGATE_INDEX)
                            || line.contains("Index Only Scan Backward using " + AGGREGATE_INDEX))
                    .anyMatch(line -> line.contains("Nested Loop"))
                    .noneMatch(line -> line.contains("Sort") || line.contains("Seq Scan"));
        }
    }

    @Test
    void ordering_by_the_text_of_the_transaction_id_would_sort_every_page_which_this_test_detects()
            throws SQLException {
        String events = "\"" + schema + "\".evento_event";
        String aliased = "SELECT e.position, e.txid::text AS txid FROM " + events + " e"
                + " WHERE e.txid < (SELECT pg_snapshot_xmin(pg_current_snapshot())) ORDER BY txid, position LIMIT 101";
        try (Connection c = TestDatabase.connect()) {
            assertThat(sortedRows(plan(c, aliased, List.of())))
                    .as("thousands of rows are sorted for one page")
                    .anyMatch(rows -> rows > 100L * FETCH);
        }
    }

    /** The estimated number of rows of every sort in a plan. */
    private static List<Long> sortedRows(List<String> plan) {
        List<Long> rows = new ArrayList<>();
        for (String line : plan) {
            Matcher m = SORT_ROWS.matcher(line);
            if (m.find()) {
                rows.add(Long.parseLong(m.group(1)));
            }
        }
        return rows;
    }

    private static List<String> plan(Connection c, String sql, List<Object> parameters) throws SQLException {
        List<String> lines = new ArrayList<>();
        try (PreparedStatement statement = c.prepareStatement("EXPLAIN " + sql)) {
            new SqlQuery(sql, parameters).bind(statement);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    lines.add(rs.getString(1));
                }
            }
        }
        return lines;
    }

    private static List<String> genericPlan(Statement statement, String sql, String types, String arguments)
            throws SQLException {
        StringBuilder numbered = new StringBuilder();
        int n = 0;
        for (char ch : sql.toCharArray()) {
            if (ch == '?') {
                numbered.append('$').append(++n);
            } else {
                numbered.append(ch);
            }
        }
        statement.execute("DEALLOCATE ALL");
        statement.execute("PREPARE evento_probe (" + types + ") AS " + numbered);
        List<String> lines = new ArrayList<>();
        try (ResultSet rs = statement.executeQuery("EXPLAIN EXECUTE evento_probe(" + arguments + ")")) {
            while (rs.next()) {
                lines.add(rs.getString(1));
            }
        }
        return lines;
    }
}
