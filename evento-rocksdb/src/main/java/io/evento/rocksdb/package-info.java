/**
 * The embedded RocksDB executor, Evento's counterpart of the Rust library's fjall store: {@link
 * io.evento.rocksdb.RocksDbExecutor}.
 */
package io.evento.rocksdb;
