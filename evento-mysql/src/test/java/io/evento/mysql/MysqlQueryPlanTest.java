package io.evento.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.EventFilter;
import io.evento.RoutingFilter;
import io.evento.internal.sql.SqlQuery;
import io.evento.tck.fixtures.TestEvents;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks with {@code EXPLAIN} that every statement the executor sends is served by the index meant
 * for it: pages come out of an index in page order (no filesort of everything that matches, no full
 * scan), loads and version checks use the aggregate index, and the sequencer's scan and the
 * update that publishes the horizon touch only the rows they name.
 */
class MysqlQueryPlanTest {
    private static final EventFilter TYPE = new EventFilter.ByType("bank/Account");
    private static final EventFilter NAME = new EventFilter.ByName("bank/Account", "Event3");
    private static final EventFilter AGGREGATE = new EventFilter.ById("bank/Account", "a-7");
    private static final EventFilter OTHER_TYPE = new EventFilter.ByType("bank/Owner");

    private static String url;

    /** One row of {@code EXPLAIN}. */
    private record Step(String table, String type, String key, String extra) {
        boolean sorts() {
            return extra != null && extra.contains("filesort");
        }

        @Override
        public String toString() {
            return table + ": " + type + " on " + key + " (" + extra + ")";
        }
    }

    private record Shape(String description, SqlQuery query, List<String> indexes) {}

    @BeforeAll
    static void populate() {
        url = TestDatabases.create();
        try (MysqlExecutor executor = MysqlExecutor.open(url)) {
            for (int a = 0; a < 60; a++) {
                String type = a % 3 == 0 ? "bank/Owner" : "bank/Account";
                Optional<String> routing = a % 4 == 0 ? Optional.empty() : Optional.of(a % 2 == 0 ? "eu" : "us");
                executor.write(TestEvents.events(type, "a-" + a, 1, 1 + a % 25, routing));
            }
        }
    }

    @AfterAll
    static void dropDatabases() {
        TestDatabases.dropAll();
    }

    private static List<Shape> pageShapes() {
        List<Shape> shapes = new ArrayList<>();
        for (boolean forward : new boolean[] {true, false}) {
            String d = forward ? "forward" : "backward";
            for (Long bound : new Long[] {null, 5L}) {
                String b = bound == null ? "" : ", after a cursor";
                shapes.add(shape(
                        d + ", all events" + b, List.of(), RoutingFilter.ALL, forward, bound, EventSql.POSITION_INDEX));
                shapes.add(shape(
                        d + ", one routing key" + b,
                        List.of(),
                        RoutingFilter.key("eu"),
                        forward,
                        bound,
                        EventSql.ROUTING_INDEX));
                shapes.add(shape(
                        d + ", no routing key" + b,
                        List.of(),
                        RoutingFilter.NONE,
                        forward,
                        bound,
                        EventSql.ROUTING_INDEX));
                shapes.add(shape(
                        d + ", by type" + b, List.of(TYPE), RoutingFilter.ALL, forward, bound, EventSql.TYPE_INDEX));
                shapes.add(shape(
                        d + ", by type and routing key" + b,
                        List.of(TYPE),
                        RoutingFilter.key("eu"),
                        forward,
                        bound,
                        EventSql.TYPE_INDEX));
                shapes.add(shape(
                        d + ", by name" + b, List.of(NAME), RoutingFilter.ALL, forward, bound, EventSql.NAME_INDEX));
                shapes.add(shape(
                        d + ", by aggregate" + b,
                        List.of(AGGREGATE),
                        RoutingFilter.ALL,
                        forward,
                        bound,
                        EventSql.AGGREGATE_INDEX));
                shapes.add(shape(
                        d + ", by aggregate without routing key" + b,
                        List.of(AGGREGATE),
                        RoutingFilter.NONE,
                        forward,
                        bound,
                        EventSql.AGGREGATE_INDEX));
                shapes.add(shape(
                        d + ", by type, name and aggregate" + b,
                        List.of(TYPE, NAME, AGGREGATE),
                        RoutingFilter.ALL,
                        forward,
                        bound,
                        EventSql.TYPE_INDEX,
                        EventSql.NAME_INDEX,
                        EventSql.AGGREGATE_INDEX));
                shapes.add(shape(
                        d + ", by two types" + b,
                        List.of(TYPE, OTHER_TYPE),
                        RoutingFilter.ALL,
                        forward,
                        bound,
                        EventSql.TYPE_INDEX));
            }
        }
        return shapes;
    }

    private static Shape shape(
            String description,
            List<EventFilter> filters,
            RoutingFilter routing,
            boolean forward,
            Long bound,
            String... indexes) {
        return new Shape(description, EventSql.page(filters, routing, forward, bound, 101), List.of(indexes));
    }

    @Test
    void every_page_query_reads_its_filters_index_in_page_order_without_a_sort_or_a_full_scan() throws Exception {
        try (Connection c = TestDatabases.connect(url)) {
            for (Shape shape : pageShapes()) {
                List<Step> plan = explain(c, shape.query());
                // Each filter's read of the table (the subqueries of a union too) comes out of its
                // index in order; with several filters, only their union's few rows are sorted, and
                // then read by primary key (the join's "e").
                List<Step> reads = plan.stream()
                        .filter(s -> "evento_event".equals(s.table()))
                        .toList();

                assertThat(reads).as(shape.description() + ": " + plan).isNotEmpty();
                assertThat(reads).as(shape.description() + ": " + plan).noneMatch(Step::sorts);
                assertThat(reads).as(shape.description() + ": " + plan).noneMatch(s -> "ALL".equals(s.type()));
                assertThat(reads)
                        .extracting(Step::key)
                        .as(shape.description() + ": " + plan)
                        .containsAll(shape.indexes());
                if (shape.query().sql().contains(" UNION ")) {
                    assertThat(plan)
                            .as(shape.description() + ": the union first, then rows by primary key: " + plan)
                            .filteredOn(s -> "e".equals(s.table()))
                            .singleElement()
                            .satisfies(s -> {
                                assertThat(s.type()).isEqualTo("eq_ref");
                                assertThat(s.key()).isEqualTo("PRIMARY");
                            });
                    assertThat(plan.getFirst().table()).startsWith("<derived");
                }
            }
        }
    }

    @Test
    void loading_an_aggregate_and_checking_its_version_use_the_aggregate_index_without_a_sort() throws Exception {
        try (Connection c = TestDatabases.connect(url)) {
            for (SqlQuery query : List.of(
                    new SqlQuery(EventSql.READ_AGGREGATE, List.of("bank/Account", "a-7", 0L, 10L)),
                    new SqlQuery(EventSql.LAST_EVENT, List.of("bank/Account", "a-7")),
                    new SqlQuery(EventSql.ROUTING_KEY_AT_VERSION, List.of("bank/Account", "a-7", 3L)))) {
                List<Step> plan = explain(c, query);

                assertThat(plan).as(query.sql()).singleElement().satisfies(step -> {
                    assertThat(step.key()).isEqualTo(EventSql.AGGREGATE_INDEX);
                    assertThat(step.sorts()).isFalse();
                });
            }
        }
    }

    @Test
    void the_sequencers_scan_reads_the_primary_key_from_the_horizon_in_position_order() throws Exception {
        try (Connection c = TestDatabases.connect(url)) {
            List<Step> plan = explain(c, new SqlQuery(Sequencer.SCAN, List.of(100L, (long) Sequencer.SCAN_LIMIT)));

            assertThat(plan).as(plan.toString()).singleElement().satisfies(step -> {
                assertThat(step.key()).isEqualTo("PRIMARY");
                assertThat(step.type()).isEqualTo("range");
                assertThat(step.sorts()).isFalse();
            });
        }
    }

    @Test
    void publishing_the_horizon_touches_the_counter_row_only() throws Exception {
        try (Connection c = TestDatabases.connect(url)) {
            List<Step> plan = explain(c, new SqlQuery(Sequencer.PUBLISH, List.of(5L)));

            assertThat(plan).as(plan.toString()).singleElement().satisfies(step -> {
                assertThat(step.table()).isEqualTo("evento_sequence");
                assertThat(step.type()).isIn("const", "range");
                assertThat(step.key()).isEqualTo("PRIMARY");
            });
        }
    }

    @Test
    void parked_events_are_listed_from_their_keys_index_in_parking_order_and_removed_by_unique_key() throws Exception {
        StringBuilder insert = new StringBuilder("INSERT INTO evento_parked (subscription_key, event_id,"
                + " aggregator_type, aggregator_id, version, error, attempts, parked_at) VALUES ");
        for (int i = 0; i < 200; i++) {
            insert.append(i == 0 ? "" : ", ")
                    .append("('key-")
                    .append(i % 4)
                    .append("', 'event-")
                    .append(i)
                    .append("', 'bank/Account', 'a-1', 1, 'failed', 1, UTC_TIMESTAMP(6))");
        }
        TestDatabases.execute(url, insert.toString(), "ANALYZE TABLE evento_parked");
        try (Connection c = TestDatabases.connect(url)) {
            List<Step> list = explain(c, new SqlQuery(MysqlExecutor.SELECT_PARKED, List.of("key-1", 10L)));
            List<Step> delete = explain(c, new SqlQuery(MysqlExecutor.DELETE_PARKED, List.of("key-1", "event-5")));

            assertThat(list).as(list.toString()).singleElement().satisfies(step -> {
                assertThat(step.key()).isEqualTo("evento_parked_key_seq");
                assertThat(step.sorts()).isFalse();
            });
            assertThat(delete).as(delete.toString()).singleElement().satisfies(step -> {
                assertThat(step.key()).isEqualTo("evento_parked_key_event");
                assertThat(step.type()).isIn("const", "range", "eq_ref");
            });
        }
    }

    private static List<Step> explain(Connection c, SqlQuery query) throws Exception {
        try (PreparedStatement statement = c.prepareStatement("EXPLAIN " + query.sql())) {
            query.bind(statement);
            try (ResultSet rs = statement.executeQuery()) {
                return steps(rs);
            }
        }
    }

    private static List<Step> steps(ResultSet rs) throws Exception {
        List<Step> steps = new ArrayList<>();
        while (rs.next()) {
            steps.add(
                    new Step(rs.getString("table"), rs.getString("type"), rs.getString("key"), rs.getString("Extra")));
        }
        return steps;
    }
}
