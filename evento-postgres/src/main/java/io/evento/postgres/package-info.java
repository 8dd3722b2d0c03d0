/**
 * The PostgreSQL executor: {@link io.evento.postgres.PostgresExecutor}, concurrent writers and a
 * global order that never skips an event, by transaction id.
 *
 * <h2>Where things are</h2>
 *
 * <p>{@code PostgresExecutor} is the one public class: its builder, and a facade that hands each
 * call to the file holding that concern, with the concern's SQL next to the code that runs it.
 *
 * <ul>
 *   <li>{@code PostgresEvents}: appends, pages of the global order, aggregate loads; {@code
 *       EventTable}: the event table's statements (and why they keep the global order), binding
 *       and row mapping;
 *   <li>{@code PostgresSubscribers}: leases taken, renewed and released, checkpoints, reset and
 *       pause;
 *   <li>{@code PostgresDeadLetters}: parked events;
 *   <li>{@code PostgresSnapshots}: projection snapshots;
 *   <li>{@code PostgresSchema}: opening a store, migrations and the store id;
 *   <li>{@code PostgresConnections}: the pool, running a call on a connection, the application's
 *       transactions, closing; the wake-up threads' connections;
 *   <li>{@code CommitNotifications}: waking subscribers through {@code LISTEN} / {@code NOTIFY};
 *   <li>{@code PostgresErrors}: SQLSTATE classification; {@code PostgresColumns}: how times are
 *       read.
 * </ul>
 *
 * <p>What the SQL executors share (transactions, page assembly, the binding and row mapping of
 * snapshots, parked events and subscribers, builder checks) is in {@code io.evento.internal} and
 * {@code io.evento.internal.sql} of {@code evento-core}.
 */
package io.evento.postgres;
