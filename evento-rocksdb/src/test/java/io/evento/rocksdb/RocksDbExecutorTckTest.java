package io.evento.rocksdb;

import io.evento.spi.Executor;
import io.evento.tck.ExecutorTck;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** The conformance suite, run against a new RocksDB directory for every executor it asks for. */
class RocksDbExecutorTckTest extends ExecutorTck {
    @TempDir
    static Path dir;

    private static final AtomicInteger STORES = new AtomicInteger();

    @Override
    protected Executor newExecutor() {
        return RocksDbExecutor.open(dir.resolve("tck-" + STORES.incrementAndGet()));
    }
}
