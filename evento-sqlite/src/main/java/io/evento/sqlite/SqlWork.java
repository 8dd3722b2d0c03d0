package io.evento.sqlite;

import java.sql.SQLException;

/** Work done with one connection's statements; SQL failures are translated by the caller. */
@FunctionalInterface
interface SqlWork<T> {
    T run(Statements db) throws SQLException;
}
