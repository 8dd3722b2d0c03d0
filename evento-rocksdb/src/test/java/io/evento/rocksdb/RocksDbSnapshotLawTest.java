package io.evento.rocksdb;

import io.evento.spi.Executor;
import io.evento.tck.SnapshotLaw;
import java.nio.file.Path;
import java.util.UUID;

/** The snapshot law on RocksDB, a new directory per property under {@code target/}. */
class RocksDbSnapshotLawTest extends SnapshotLaw {
    @Override
    protected Executor newExecutor() {
        return RocksDbExecutor.open(Path.of("target", "snapshot-law-" + UUID.randomUUID()));
    }
}
