package io.evento.internal.sql;

import io.evento.spi.StoredSnapshot;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Snapshot rows: the statement shapes every SQL dialect shares, bound and read in one place. The
 * SQL text stays with each dialect (its upsert syntax and its name for the time column); the
 * parameter and column orders below are the contract between the two.
 *
 * <ul>
 *   <li>select: {@code SELECT revision, version, data, <timestamp> FROM <snapshots> WHERE
 *       projection = ? AND aggregator_type = ? AND aggregator_id = ?};
 *   <li>upsert: {@code INSERT INTO <snapshots> (projection, aggregator_type, aggregator_id,
 *       revision, version, data, <timestamp>) VALUES (?, ?, ?, ?, ?, ?, ?)}, replacing the row of
 *       the same key.
 * </ul>
 *
 * <p>Internal: shared by the SQL executors, not part of the API; it may change without notice.
 */
public final class SnapshotRows {
    private SnapshotRows() {}

    /**
     * Binds the key of the select.
     *
     * @param select the select, prepared
     * @param projection the projection's key
     * @param aggregatorType the aggregate type
     * @param aggregatorId the aggregate id
     * @throws SQLException if the driver fails
     */
    public static void bindKey(PreparedStatement select, String projection, String aggregatorType, String aggregatorId)
            throws SQLException {
        select.setString(1, projection);
        select.setString(2, aggregatorType);
        select.setString(3, aggregatorId);
    }

    /**
     * The snapshot the select found, if any.
     *
     * @param rs the select's result, before its first row
     * @param columns the dialect's column reading
     * @param projection the projection's key, as bound
     * @param aggregatorType the aggregate type, as bound
     * @param aggregatorId the aggregate id, as bound
     * @return the snapshot, or empty if there is no row
     * @throws SQLException if the driver fails
     */
    public static Optional<StoredSnapshot> read(
            ResultSet rs, ColumnReader columns, String projection, String aggregatorType, String aggregatorId)
            throws SQLException {
        if (!rs.next()) {
            return Optional.empty();
        }
        return Optional.of(new StoredSnapshot(
                projection,
                aggregatorType,
                aggregatorId,
                columns.text(rs, 1),
                rs.getInt(2),
                columns.bytes(rs, 3),
                rs.getLong(4)));
    }

    /**
     * Binds the seven values of the upsert.
     *
     * @param upsert the upsert, prepared
     * @param snapshot the snapshot
     * @throws SQLException if the driver fails
     */
    public static void bindUpsert(PreparedStatement upsert, StoredSnapshot snapshot) throws SQLException {
        upsert.setString(1, snapshot.projection());
        upsert.setString(2, snapshot.aggregatorType());
        upsert.setString(3, snapshot.aggregatorId());
        upsert.setString(4, snapshot.revision());
        upsert.setInt(5, snapshot.version());
        upsert.setBytes(6, snapshot.data());
        upsert.setLong(7, snapshot.timestampMicros());
    }
}
