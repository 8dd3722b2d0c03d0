package io.evento.postgres;

import java.sql.Connection;
import java.sql.SQLException;

/** Work done with one pooled connection; SQL failures are translated by the caller. */
@FunctionalInterface
interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
}
