/**
 * The embedded SQLite executor, Evento's default store: {@link io.evento.sqlite.SqliteExecutor}.
 */
package io.evento.sqlite;
