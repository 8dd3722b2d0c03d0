package io.evento.postgres;

import io.evento.spi.Executor;
import io.evento.tck.SnapshotLaw;
import java.sql.SQLException;
import net.jqwik.api.lifecycle.AfterContainer;

/** The snapshot law on PostgreSQL, a new schema per property. */
class PostgresSnapshotLawTest extends SnapshotLaw {
    private static final TestDatabase DATABASE = new TestDatabase("evento_law");

    @AfterContainer
    static void dropSchemas() throws SQLException {
        DATABASE.dropSchemas();
    }

    @Override
    protected Executor newExecutor() {
        return DATABASE.open();
    }
}
