package io.evento.sqlite;

import io.evento.spi.Executor;
import io.evento.tck.SnapshotLaw;
import java.nio.file.Path;
import java.util.UUID;

/** The snapshot law on SQLite, a new file per property under {@code target/}. */
class SqliteSnapshotLawTest extends SnapshotLaw {
    @Override
    protected Executor newExecutor() {
        return SqliteExecutor.open(Path.of("target", "snapshot-law-" + UUID.randomUUID() + ".db"));
    }
}
