package io.evento.rocksdb;

import io.evento.spi.StoredSnapshot;
import org.rocksdb.RocksDBException;

/** The writer's command on snapshots: saving one, which replaces the previous. */
final class SnapshotCommands {
    private SnapshotCommands() {}

    /** Saves a snapshot, replacing the previous one. */
    static final class Save extends Command<Void> {
        private final Store store;
        private final StoredSnapshot snapshot;
        private final byte[] key;
        private final byte[] value;

        Save(Store store, StoredSnapshot snapshot) {
            this.store = store;
            this.snapshot = snapshot;
            this.key = Keys.snapshot(snapshot.projection(), snapshot.aggregatorType(), snapshot.aggregatorId());
            this.value = Records.snapshot(snapshot);
        }

        @Override
        String describe() {
            return "saving snapshot " + snapshot.projection() + " of " + snapshot.aggregatorType() + "/"
                    + snapshot.aggregatorId();
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            group.put(store.snapshots, key, value);
            succeed(null);
        }
    }
}
