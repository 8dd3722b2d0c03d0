/**
 * Evento's MySQL and MariaDB executor: InnoDB tables, a skip-free global order, versioned
 * migrations. See {@link io.evento.mysql.MysqlExecutor}.
 */
module io.evento.mysql {
    requires transitive io.evento.core;
    requires transitive java.sql;
    requires com.zaxxer.hikari;
    requires org.mariadb.jdbc;
    requires org.slf4j;

    exports io.evento.mysql;
}
