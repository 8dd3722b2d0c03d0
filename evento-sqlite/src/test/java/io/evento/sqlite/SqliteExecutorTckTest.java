package io.evento.sqlite;

import io.evento.spi.Executor;
import io.evento.tck.ExecutorTck;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** The conformance suite, run against a new SQLite file for every executor it asks for. */
class SqliteExecutorTckTest extends ExecutorTck {
    @TempDir
    static Path dir;

    private static final AtomicInteger FILES = new AtomicInteger();

    @Override
    protected Executor newExecutor() {
        return SqliteExecutor.open(dir.resolve("tck-" + FILES.incrementAndGet() + ".db"));
    }
}
