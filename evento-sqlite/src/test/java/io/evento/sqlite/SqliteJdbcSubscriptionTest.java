package io.evento.sqlite;

import io.evento.spi.JdbcExecutor;
import io.evento.tck.JdbcSubscriptionTck;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** Transactional subscriptions (exactly-once read models) on SQLite. */
class SqliteJdbcSubscriptionTest extends JdbcSubscriptionTck {
    @TempDir
    static Path dir;

    private static final AtomicInteger FILES = new AtomicInteger();

    @Override
    protected JdbcExecutor newExecutor() {
        return SqliteExecutor.open(dir.resolve("jdbc-" + FILES.incrementAndGet() + ".db"));
    }
}
