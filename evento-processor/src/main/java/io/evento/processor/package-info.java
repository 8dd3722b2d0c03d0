/**
 * The annotation processor that wires {@code @Handle} methods: {@link
 * io.evento.processor.HandlersProcessor}.
 */
package io.evento.processor;
