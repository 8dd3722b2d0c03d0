package io.evento.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.EventFilter;
import io.evento.RoutingFilter;
import io.evento.internal.sql.SqlQuery;
import io.evento.tck.fixtures.TestEvents;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks with {@code EXPLAIN QUERY PLAN} that every query shape the executor sends is served by an
 * index that yields rows in the order asked for: no temporary B-tree (a sort of everything that
 * matches) and no full scan, so that a page costs its own size however long the log is.
 */
class SqliteQueryPlanTest {
    private static final EventFilter TYPE = new EventFilter.ByType("bank/Account");
    private static final EventFilter NAME = new EventFilter.ByName("bank/Account", "Deposited");
    private static final EventFilter AGGREGATE = new EventFilter.ById("bank/Account", "a-7");
    private static final EventFilter OTHER_TYPE = new EventFilter.ByType("bank/Owner");

    private static final String TYPE_INDEX = "evento_event_type_position";
    private static final String NAME_INDEX = "evento_event_name_position";
    private static final String ROUTING_INDEX = "evento_event_routing_position";
    private static final String AGGREGATE_INDEX = "evento_event_aggregate_version";
    private static final String ROWID = "USING INTEGER PRIMARY KEY";

    @TempDir
    Path dir;

    private record Shape(String description, SqlQuery query, List<String> expected) {}

    private static List<Shape> pageShapes() {
        List<Shape> shapes = new ArrayList<>();
        for (boolean forward : new boolean[] {true, false}) {
            String d = forward ? "forward" : "backward";
            shapes.add(shape(d + ", all events, after a cursor", List.of(), RoutingFilter.ALL, forward, 5L, ROWID));
            shapes.add(shape(d + ", one routing key", List.of(), RoutingFilter.key("eu"), forward, 5L, ROUTING_INDEX));
            shapes.add(shape(d + ", no routing key", List.of(), RoutingFilter.NONE, forward, null, ROUTING_INDEX));
            shapes.add(shape(d + ", by type", List.of(TYPE), RoutingFilter.ALL, forward, 5L, TYPE_INDEX));
            shapes.add(
                    shape(d + ", by type from the start", List.of(TYPE), RoutingFilter.ALL, forward, null, TYPE_INDEX));
            shapes.add(shape(d + ", by name", List.of(NAME), RoutingFilter.ALL, forward, 5L, NAME_INDEX));
            shapes.add(
                    shape(d + ", by aggregate", List.of(AGGREGATE), RoutingFilter.ALL, forward, 5L, AGGREGATE_INDEX));
            shapes.add(shape(
                    d + ", by aggregate and routing key",
                    List.of(AGGREGATE),
                    RoutingFilter.key("eu"),
                    forward,
                    5L,
                    AGGREGATE_INDEX));
            shapes.add(shape(
                    d + ", by aggregate without routing key",
                    List.of(AGGREGATE),
                    RoutingFilter.NONE,
                    forward,
                    null,
                    AGGREGATE_INDEX));
            shapes.add(shape(
                    d + ", by type, name and aggregate",
                    List.of(TYPE, NAME, AGGREGATE),
                    RoutingFilter.ALL,
                    forward,
                    5L,
                    TYPE_INDEX,
                    NAME_INDEX,
                    AGGREGATE_INDEX,
                    ROWID));
            shapes.add(shape(
                    d + ", by two types",
                    List.of(TYPE, OTHER_TYPE),
                    RoutingFilter.ALL,
                    forward,
                    null,
                    TYPE_INDEX,
                    ROWID));
        }
        return shapes;
    }

    private static Shape shape(
            String description,
            List<EventFilter> filters,
            RoutingFilter routing,
            boolean forward,
            Long bound,
            String... expected) {
        return new Shape(description, EventSql.page(filters, routing, forward, bound, 101), List.of(expected));
    }

    @Test
    void every_page_query_is_served_by_an_index_in_page_order_without_a_sort_or_a_full_scan() throws Exception {
        Path file = dir.resolve("events.db");
        SqliteExecutor.open(file).close();
        try (Connection c = TestStore.connect(file)) {
            for (Shape shape : pageShapes()) {
                List<String> plan = plan(c, shape.query());

                assertThat(plan).as(shape.description()).noneMatch(line -> line.contains("TEMP B-TREE"));
                assertThat(plan).as(shape.description()).noneMatch(line -> line.equals("SCAN evento_event"));
                for (String index : shape.expected()) {
                    assertThat(plan).as(shape.description()).anyMatch(line -> line.contains(index));
                }
            }
        }
    }

    @Test
    void reading_from_the_end_of_the_log_walks_the_table_backwards_without_a_sort() throws Exception {
        Path file = dir.resolve("events.db");
        SqliteExecutor.open(file).close();
        try (Connection c = TestStore.connect(file)) {
            assertThat(plan(c, EventSql.page(List.of(), RoutingFilter.ALL, false, null, 11)))
                    .containsExactly("SCAN evento_event");
        }
    }

    @Test
    void loading_an_aggregate_and_checking_its_version_use_the_aggregate_index() throws Exception {
        Path file = dir.resolve("events.db");
        SqliteExecutor.open(file).close();
        try (Connection c = TestStore.connect(file)) {
            assertThat(plan(c, new SqlQuery(EventSql.READ_AGGREGATE, List.of("t", "1", 0L, 10L))))
                    .containsExactly("SEARCH evento_event USING INDEX " + AGGREGATE_INDEX
                            + " (aggregator_type=? AND aggregator_id=? AND version>?)");
            assertThat(plan(c, new SqlQuery(EventSql.LAST_EVENT, List.of("t", "1"))))
                    .containsExactly("SEARCH evento_event USING INDEX " + AGGREGATE_INDEX
                            + " (aggregator_type=? AND aggregator_id=?)");
            assertThat(plan(c, new SqlQuery(EventSql.ROUTING_KEY_AT_VERSION, List.of("t", "1", 3L))))
                    .containsExactly("SEARCH evento_event USING INDEX " + AGGREGATE_INDEX
                            + " (aggregator_type=? AND aggregator_id=? AND version=?)");
        }
    }

    @Test
    void the_dead_letter_store_lists_oldest_first_and_finds_an_entry_by_index() throws Exception {
        Path file = dir.resolve("events.db");
        SqliteExecutor.open(file).close();
        try (Connection c = TestStore.connect(file)) {
            assertThat(plan(c, new SqlQuery(SqliteExecutor.SELECT_PARKED, List.of("sub", 10L))))
                    .containsExactly("SEARCH evento_parked USING INDEX evento_parked_key_seq (key=?)");
            assertThat(plan(c, new SqlQuery(SqliteExecutor.UNPARK, List.of("sub", "e1"))))
                    .containsExactly("SEARCH evento_parked USING INDEX evento_parked_key_event (key=? AND event_id=?)");
            assertThat(plan(
                            c,
                            new SqlQuery(
                                    SqliteExecutor.PARK,
                                    List.of("sub", "e1", "t", "1", 1L, "error", 1L, 0L, "sub", "w1", 1L, 0L))))
                    .containsExactly(
                            "SEARCH evento_subscriber EXISTS USING INDEX sqlite_autoindex_evento_subscriber_1 (key=?)");
        }
    }

    @Test
    void page_queries_still_avoid_sorting_once_sqlite_has_statistics_of_a_populated_store() throws Exception {
        Path file = dir.resolve("events.db");
        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            for (int a = 0; a < 60; a++) {
                String type = a % 3 == 0 ? "bank/Owner" : "bank/Account";
                Optional<String> routing = a % 4 == 0 ? Optional.empty() : Optional.of(a % 2 == 0 ? "eu" : "us");
                executor.write(TestEvents.events(type, "a-" + a, 1, 1 + a % 25, routing));
            }
        }
        TestStore.execute(file, "ANALYZE");
        try (Connection c = TestStore.connect(file)) {
            for (Shape shape : pageShapes()) {
                List<String> plan = plan(c, shape.query());

                assertThat(plan).as(shape.description()).noneMatch(line -> line.contains("TEMP B-TREE"));
                if (shape.query().sql().contains("aggregator_id = ?")) {
                    assertThat(plan).as(shape.description()).anyMatch(line -> line.contains(AGGREGATE_INDEX));
                }
            }
        }
    }

    private static List<String> plan(Connection c, SqlQuery query) throws Exception {
        List<String> lines = new ArrayList<>();
        try (PreparedStatement statement = c.prepareStatement("EXPLAIN QUERY PLAN " + query.sql())) {
            query.bind(statement);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    lines.add(rs.getString(4));
                }
            }
        }
        return lines;
    }
}
