package io.evento.mysql;

import io.evento.spi.JdbcExecutor;
import io.evento.tck.JdbcSubscriptionTck;
import org.junit.jupiter.api.AfterAll;

/** Transactional subscriptions (exactly-once read models) on MySQL/MariaDB. */
class MysqlJdbcSubscriptionTest extends JdbcSubscriptionTck {
    @Override
    protected JdbcExecutor newExecutor() {
        return MysqlExecutor.builder()
                .jdbcUrl(TestDatabases.createMigrated())
                .maximumPoolSize(4)
                .open();
    }

    @AfterAll
    static void dropDatabases() {
        TestDatabases.dropAll();
    }
}
