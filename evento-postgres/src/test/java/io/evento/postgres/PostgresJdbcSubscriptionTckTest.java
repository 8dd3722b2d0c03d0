package io.evento.postgres;

import io.evento.spi.JdbcExecutor;
import io.evento.tck.JdbcSubscriptionTck;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;

/**
 * Transactional subscriptions, each scenario on a new schema. The suite creates its read-model table
 * without a schema name, so the pool's connections put the store's schema first on their search
 * path ({@code currentSchema}), as an application keeping its read models next to its events would.
 */
class PostgresJdbcSubscriptionTckTest extends JdbcSubscriptionTck {
    private static final TestDatabase DATABASE = new TestDatabase("evento_jdbc_tck");

    @AfterAll
    static void dropSchemas() throws SQLException {
        DATABASE.dropSchemas();
    }

    @Override
    protected JdbcExecutor newExecutor() {
        String schema = DATABASE.newSchema();
        String url = TestDatabase.URL + (TestDatabase.URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
        return PostgresExecutor.builder()
                .jdbcUrl(url)
                .schema(schema)
                .maximumPoolSize(4)
                .open();
    }
}
