package io.evento.bench;

import io.evento.spi.Executor;
import java.util.List;

/** A database the benchmark runs on, and how to get fresh stores on it. */
interface Backend {
    /**
     * The name in the results: {@code postgres}, {@code mariadb}, {@code sqlite} or {@code rocksdb}.
     *
     * @return the name
     */
    String name();

    /**
     * The database (server or library) version, for the results file.
     *
     * @return the version
     */
    String version();

    /**
     * A fresh, empty store with an executor over it and a raw store of the same shape beside it.
     *
     * @param writers how many threads will write at once: the pool size of both sides
     * @return the store; closing it closes both sides and deletes their data
     */
    Store open(int writers);

    /** A fresh executor and its raw twin. */
    interface Store extends AutoCloseable {
        /**
         * The executor over this store.
         *
         * @return the executor
         */
        Executor executor();

        /**
         * A second executor over the same store, as another process would open it (the latency
         * scenario writes on one and subscribes on the other).
         *
         * @return a new executor; the store closes it
         */
        Executor reopen();

        /**
         * The raw side.
         *
         * @return the raw store
         */
        Raw raw();

        @Override
        void close();
    }

    /**
     * Every backend, in the order they are reported.
     *
     * @return the backends
     */
    static List<Backend> all() {
        return List.of(new PostgresBackend(), new MariaDbBackend(), new SqliteBackend(), new RocksDbBackend());
    }
}
