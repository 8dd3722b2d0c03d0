/**
 * Evento's embedded RocksDB executor: the event log, its indexes, subscriber checkpoints and
 * snapshots in RocksDB column families, written by one group-committing writer thread. See {@link
 * io.evento.rocksdb.RocksDbExecutor}.
 */
module io.evento.rocksdb {
    requires transitive io.evento.core;
    requires rocksdbjni;

    exports io.evento.rocksdb;
}
