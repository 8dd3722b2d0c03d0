/**
 * Evento's API: {@link io.evento.Evento}, the entry point that commits events and loads
 * aggregates; events and their metadata; projections and snapshot policies; subscriptions and
 * their workers; pages and cursors of the global log; and the exceptions, one unchecked root
 * ({@link io.evento.EventoException}), transient or permanent. Storage is an {@link
 * io.evento.spi.Executor}, chosen by the application.
 */
package io.evento;
