package io.evento.postgres;

import io.evento.internal.sql.ColumnReader;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * How this store's columns are read where dialects differ (see {@link ColumnReader}): text and
 * {@code bytea} as JDBC reads them, times as {@code timestamptz}, read as an offset date-time.
 */
final class PostgresColumns implements ColumnReader {
    /** The one instance; it holds no state. */
    static final PostgresColumns READER = new PostgresColumns();

    private PostgresColumns() {}

    @Override
    public Instant instant(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }
}
