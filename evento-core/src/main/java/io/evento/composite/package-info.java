/**
 * Executors made of other executors: {@link io.evento.composite.Group} reads several stores as one
 * merged log, {@link io.evento.composite.Rw} reads from a replica and writes to its primary. Both
 * forward what they do not change to one member, as a {@link io.evento.spi.ForwardingExecutor}.
 */
package io.evento.composite;
