/**
 * Evento's PostgreSQL executor: concurrent writers, a skip-free global order by transaction id,
 * leases judged by the database clock. See {@link io.evento.postgres.PostgresExecutor}.
 */
module io.evento.postgres {
    requires transitive io.evento.core;
    requires transitive java.sql;
    requires com.zaxxer.hikari;
    requires org.postgresql.jdbc;
    requires org.slf4j;

    exports io.evento.postgres;
}
