/**
 * Evento's embedded SQLite executor: the whole event store in one file, in WAL mode, with one
 * writer and parallel readers. See {@link io.evento.sqlite.SqliteExecutor}.
 */
module io.evento.sqlite {
    requires transitive io.evento.core;
    requires java.sql;
    requires org.xerial.sqlitejdbc;
    requires org.slf4j;

    exports io.evento.sqlite;
}
