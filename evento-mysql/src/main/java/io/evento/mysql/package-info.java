/**
 * The MySQL and MariaDB executor: {@link io.evento.mysql.MysqlExecutor}.
 */
package io.evento.mysql;
