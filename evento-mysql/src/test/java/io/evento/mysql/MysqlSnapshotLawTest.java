package io.evento.mysql;

import io.evento.spi.Executor;
import io.evento.tck.SnapshotLaw;
import net.jqwik.api.lifecycle.AfterContainer;

/** The snapshot law on MySQL/MariaDB, a new database per property. */
class MysqlSnapshotLawTest extends SnapshotLaw {
    @AfterContainer
    static void dropDatabases() {
        TestDatabases.dropAll();
    }

    @Override
    protected Executor newExecutor() {
        return MysqlExecutor.builder()
                .jdbcUrl(TestDatabases.createMigrated())
                .maximumPoolSize(4)
                .open();
    }
}
