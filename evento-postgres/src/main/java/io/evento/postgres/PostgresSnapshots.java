package io.evento.postgres;

import io.evento.internal.Validation;
import io.evento.internal.sql.SnapshotRows;
import io.evento.spi.SnapshotStore;
import io.evento.spi.StoredSnapshot;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Objects;
import java.util.Optional;

/**
 * The snapshot store: the last saved state of each projection of an aggregate, one row of {@code
 * evento_snapshot} per (projection, aggregate), replaced by each save.
 */
final class PostgresSnapshots implements SnapshotStore {
    private final PostgresConnections connections;
    private final String selectSnapshot;
    private final String upsertSnapshot;

    /** The snapshot store in {@code schema}, a validated plain identifier. */
    PostgresSnapshots(PostgresConnections connections, String schema) {
        this.connections = connections;
        String snapshot = "\"" + schema + "\".evento_snapshot";
        this.selectSnapshot = "SELECT revision, version, data, timestamp_micros FROM " + snapshot
                + " WHERE projection = ? AND aggregator_type = ? AND aggregator_id = ?";
        this.upsertSnapshot = "INSERT INTO " + snapshot
                + " (projection, aggregator_type, aggregator_id, revision, version, data, timestamp_micros)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (projection, aggregator_type, aggregator_id)"
                + " DO UPDATE SET revision = EXCLUDED.revision, version = EXCLUDED.version,"
                + " data = EXCLUDED.data, timestamp_micros = EXCLUDED.timestamp_micros";
    }

    @Override
    public Optional<StoredSnapshot> snapshot(String projection, String aggregatorType, String aggregatorId) {
        Validation.name("projection", projection);
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        return connections.run("reading snapshot " + projection + " of " + aggregatorType + "/" + aggregatorId, c -> {
            try (PreparedStatement statement = c.prepareStatement(selectSnapshot)) {
                SnapshotRows.bindKey(statement, projection, aggregatorType, aggregatorId);
                try (ResultSet rs = statement.executeQuery()) {
                    return SnapshotRows.read(rs, PostgresColumns.READER, projection, aggregatorType, aggregatorId);
                }
            }
        });
    }

    @Override
    public void saveSnapshot(StoredSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        connections.run("saving snapshot " + snapshot.projection(), c -> {
            try (PreparedStatement upsert = c.prepareStatement(upsertSnapshot)) {
                SnapshotRows.bindUpsert(upsert, snapshot);
                upsert.executeUpdate();
                return null;
            }
        });
    }
}
