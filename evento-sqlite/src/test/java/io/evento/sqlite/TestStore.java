package io.evento.sqlite;

import io.evento.internal.Ulids;
import io.evento.spi.StoredEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Helpers for the SQLite tests: events to write, and raw access to a store's file. */
final class TestStore {
    private TestStore() {}

    /** Events {@code from..to} of one aggregate. */
    static List<StoredEvent> events(String type, String id, int from, int to, Optional<String> routingKey) {
        List<StoredEvent> events = new ArrayList<>();
        for (int v = from; v <= to; v++) {
            events.add(new StoredEvent(
                    Ulids.next(),
                    type,
                    id,
                    v,
                    "Event" + v,
                    routingKey,
                    ("{\"v\":" + v + "}").getBytes(StandardCharsets.UTF_8),
                    "{}".getBytes(StandardCharsets.UTF_8),
                    1_700_000_000_000_000L + v));
        }
        return events;
    }

    static List<StoredEvent> events(String type, String id, int from, int to) {
        return events(type, id, from, to, Optional.empty());
    }

    /** A plain read-write connection to the file, outside any executor. */
    static Connection connect(Path file) throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + file);
    }

    /** The single value of a query. */
    static Object single(Path file, String sql) throws SQLException {
        try (Connection c = connect(file);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getObject(1) : null;
        }
    }

    /** The single number of a query, such as a count. */
    static long count(Path file, String sql) throws SQLException {
        return ((Number) single(file, sql)).longValue();
    }

    /** The first column of every row of a query. */
    static List<Object> column(Path file, String sql) throws SQLException {
        List<Object> values = new ArrayList<>();
        try (Connection c = connect(file);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getObject(1));
            }
        }
        return values;
    }

    /** Runs statements on the file, outside any executor. */
    static void execute(Path file, String... sql) throws SQLException {
        try (Connection c = connect(file);
                Statement s = c.createStatement()) {
            for (String statement : sql) {
                s.execute(statement);
            }
        }
    }
}
