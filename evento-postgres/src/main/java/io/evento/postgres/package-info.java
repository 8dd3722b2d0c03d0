/**
 * The PostgreSQL executor: {@link io.evento.postgres.PostgresExecutor}, concurrent writers and a
 * global order that never skips an event, by transaction id.
 */
package io.evento.postgres;
