package io.evento;

import io.evento.internal.EventTypes;
import io.evento.internal.Validation;

/**
 * Selects events in a read. Several filters in one read are OR-ed; no filter selects every event.
 *
 * <pre>{@code
 * EventFilter.type(Account.class)                 // every event of every account
 * EventFilter.aggregate(Account.class, accountId) // the events of one account
 * EventFilter.event(MoneyDeposited.class)         // every deposit, of any account
 * }</pre>
 */
public sealed interface EventFilter {

    /**
     * The aggregate type every selected event belongs to.
     *
     * @return the aggregate type
     */
    String aggregatorType();

    /**
     * Every event of an aggregate type.
     *
     * @param aggregatorType the stored aggregate type
     */
    record ByType(String aggregatorType) implements EventFilter {
        /**
         * Validates the filter.
         *
         * @param aggregatorType the stored aggregate type
         */
        public ByType {
            Validation.name("aggregatorType", aggregatorType);
        }
    }

    /**
     * Every event of one aggregate.
     *
     * @param aggregatorType the stored aggregate type
     * @param aggregatorId the aggregate id
     */
    record ById(String aggregatorType, String aggregatorId) implements EventFilter {
        /**
         * Validates the filter.
         *
         * @param aggregatorType the stored aggregate type
         * @param aggregatorId the aggregate id
         */
        public ById {
            Validation.name("aggregatorType", aggregatorType);
            Validation.id("aggregatorId", aggregatorId);
        }
    }

    /**
     * Every event with one name in an aggregate type.
     *
     * @param aggregatorType the stored aggregate type
     * @param name the stored event name
     */
    record ByName(String aggregatorType, String name) implements EventFilter {
        /**
         * Validates the filter.
         *
         * @param aggregatorType the stored aggregate type
         * @param name the stored event name
         */
        public ByName {
            Validation.name("aggregatorType", aggregatorType);
            Validation.name("name", name);
        }
    }

    /**
     * Every event of the family annotated with {@link Aggregate}.
     *
     * @param family the sealed event interface
     * @return the filter
     */
    static EventFilter type(Class<?> family) {
        return new ByType(EventTypes.aggregatorTypeOf(family));
    }

    /**
     * Every event of one aggregate.
     *
     * @param family the sealed event interface
     * @param id the aggregate id
     * @return the filter
     */
    static EventFilter aggregate(Class<?> family, String id) {
        return new ById(EventTypes.aggregatorTypeOf(family), id);
    }

    /**
     * Every event of one event class, whatever the aggregate.
     *
     * @param eventClass an event record of a family annotated with {@link Aggregate}
     * @return the filter
     */
    static EventFilter event(Class<?> eventClass) {
        EventTypes.Descriptor d = EventTypes.describe(eventClass);
        return new ByName(d.aggregatorType(), d.name());
    }
}
