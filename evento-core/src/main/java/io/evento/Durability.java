package io.evento;

/**
 * How far a commit of an embedded store (SQLite, RocksDB) has gone when {@code commit()} returns,
 * and so which crash it survives. One vocabulary for every embedded store; a server's durability
 * (PostgreSQL, MySQL) is the server's own configuration.
 *
 * <p>With either setting a crash never leaves half a commit or an inconsistent store: at worst the
 * most recent commits are rolled back, whole.
 */
public enum Durability {
    /**
     * The commit is in the store's write-ahead log, handed to the operating system, which writes it
     * to disk later. It survives the application crashing or being killed; a power loss or an
     * operating-system crash may roll back the most recent commits. The default, and by far the
     * faster (no disk sync per commit). SQLite: {@code PRAGMA synchronous = NORMAL} in WAL mode;
     * RocksDB: a write without sync.
     */
    SURVIVES_PROCESS_CRASH,

    /**
     * The commit is synced to disk (an fsync of the write-ahead log) before {@code commit()}
     * returns, so it also survives a power loss. Concurrent commits may share one sync where the
     * store groups them. SQLite: {@code PRAGMA synchronous = FULL}; RocksDB: a synced write.
     */
    SURVIVES_POWER_LOSS
}
