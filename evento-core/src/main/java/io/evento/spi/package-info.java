/**
 * The storage contract: {@link io.evento.spi.Executor}, what a backend implements and what users
 * pass around, combined from role interfaces a backend author can read one at a time ({@link
 * io.evento.spi.EventLog}, {@link io.evento.spi.SubscriberStore}, {@link
 * io.evento.spi.DeadLetterStore}, {@link io.evento.spi.CommitListeners}, {@link
 * io.evento.spi.SnapshotStore}); {@link io.evento.spi.JdbcExecutor} with the JDBC sides of the
 * roles, for transactions shared with the application; the records an executor stores; and
 * {@link io.evento.spi.ForwardingExecutor}, the base of decorators. The conformance suite of
 * {@code evento-tck} states the contract as tests.
 */
package io.evento.spi;
