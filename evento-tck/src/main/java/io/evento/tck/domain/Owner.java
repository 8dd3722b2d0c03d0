package io.evento.tck.domain;

import io.evento.Aggregate;

/** A second aggregate type, for projections over several aggregates and type filters. */
@Aggregate("tck/Owner")
public sealed interface Owner {
    /**
     * The owner was created.
     *
     * @param name the owner's name
     */
    record Created(String name) implements Owner {}

    /**
     * The owner's name changed.
     *
     * @param name the new name
     */
    record NameChanged(String name) implements Owner {}
}
