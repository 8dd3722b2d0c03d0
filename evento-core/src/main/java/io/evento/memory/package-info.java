/**
 * The in-memory executor, {@link io.evento.memory.InMemoryExecutor}: the reference implementation
 * of the {@link io.evento.spi.Executor} contract, and a store for tests and prototypes. Nothing
 * survives the process.
 */
package io.evento.memory;
