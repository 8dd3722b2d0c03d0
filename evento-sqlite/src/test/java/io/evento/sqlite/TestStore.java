package io.evento.sqlite;

import io.evento.tck.fixtures.TestSql;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** Raw access to a store's file in the SQLite tests, outside any executor. */
final class TestStore {
    private TestStore() {}

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
        return TestSql.column(() -> connect(file), sql);
    }

    /** Runs statements on the file, outside any executor. */
    static void execute(Path file, String... sql) throws SQLException {
        TestSql.execute(() -> connect(file), sql);
    }
}
