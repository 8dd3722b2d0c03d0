package io.evento.internal.sql;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/**
 * How a dialect reads the columns whose JDBC mapping differs between databases, so that the row
 * mappings of {@link SnapshotRows}, {@link ParkedRows} and {@link SubscriberRows} are written once.
 *
 * <p>Text is {@link ResultSet#getString} unless the dialect stores it otherwise (MySQL keeps ids
 * and keys as UTF-8 in {@code VARBINARY} columns and decodes them itself). Binary columns are
 * never {@code null} once read: some drivers (sqlite-jdbc) return {@code null} for a zero-length
 * value. Times are the dialect's business: {@code timestamptz}, a UTC {@code DATETIME}, or
 * microseconds in an integer column.
 *
 * <p>An implementation is a stateless constant of its executor, so reading a row allocates nothing
 * more than the row's values.
 *
 * <p>Internal: shared by the SQL executors, not part of the API; it may change without notice.
 */
public interface ColumnReader {

    /**
     * A text column.
     *
     * @param rs the result set, on a row
     * @param column the column, from 1
     * @return its value, {@code null} for SQL {@code NULL}
     * @throws SQLException if the driver fails
     */
    default String text(ResultSet rs, int column) throws SQLException {
        return rs.getString(column);
    }

    /**
     * A binary column that is never SQL {@code NULL}.
     *
     * @param rs the result set, on a row
     * @param column the column, from 1
     * @return its value; empty for a zero-length value, whatever the driver returns for one
     * @throws SQLException if the driver fails
     */
    default byte[] bytes(ResultSet rs, int column) throws SQLException {
        byte[] value = rs.getBytes(column);
        return value == null ? new byte[0] : value;
    }

    /**
     * A time column that is never SQL {@code NULL}, as the dialect stores times.
     *
     * @param rs the result set, on a row
     * @param column the column, from 1
     * @return the instant
     * @throws SQLException if the driver fails
     */
    Instant instant(ResultSet rs, int column) throws SQLException;
}
