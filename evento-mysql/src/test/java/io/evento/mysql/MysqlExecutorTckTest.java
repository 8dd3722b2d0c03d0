package io.evento.mysql;

import io.evento.spi.Executor;
import io.evento.spi.StoredEvent;
import io.evento.tck.ExecutorTck;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;

/**
 * The conformance suite, run against a new database for every executor it asks for. Held writes
 * are real open transactions inserting rows the way the executor does.
 */
class MysqlExecutorTckTest extends ExecutorTck {
    private final Map<Executor, String> urls = new ConcurrentHashMap<>();

    @Override
    protected Executor newExecutor() {
        String url = TestDatabases.createMigrated();
        MysqlExecutor executor =
                MysqlExecutor.builder().jdbcUrl(url).maximumPoolSize(4).open();
        urls.put(executor, url);
        return executor;
    }

    @Override
    protected HeldWrite holdWrite(Executor store, List<StoredEvent> events) {
        return new HeldInsert(urls.get(store), events);
    }

    @AfterAll
    static void dropDatabases() {
        TestDatabases.dropAll();
    }
}
