package io.evento;

import io.evento.internal.EventTypes;
import io.evento.internal.Validation;

/**
 * One aggregate, named by its event family and id; used to fold events of several aggregates into
 * one projection with {@link Evento#load(Projection, String, AggregateRef...)}.
 *
 * @param family the sealed event interface annotated with {@link Aggregate}
 * @param id the aggregate id
 */
public record AggregateRef(Class<?> family, String id) {
    /**
     * Validates the reference.
     *
     * @param family the sealed event interface
     * @param id the aggregate id
     */
    public AggregateRef {
        EventTypes.aggregatorTypeOf(family);
        Validation.id("id", id);
    }

    /**
     * A reference to one aggregate.
     *
     * @param family the sealed event interface
     * @param id the aggregate id
     * @return the reference
     */
    public static AggregateRef of(Class<?> family, String id) {
        return new AggregateRef(family, id);
    }

    String aggregatorType() {
        return EventTypes.aggregatorTypeOf(family);
    }
}
