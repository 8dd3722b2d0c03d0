package io.evento;

import io.evento.internal.Validation;

/**
 * Selects events by routing key: all of them, those with one key, or those without a key.
 *
 * <p>A routing key is chosen when an aggregate is created and kept by all its events; use it to
 * shard work (per region, per tenant) between subscriptions.
 */
public sealed interface RoutingFilter {

    /** Every event, whatever its routing key. */
    RoutingFilter ALL = new All();

    /** Only events without a routing key. */
    RoutingFilter NONE = new None();

    /**
     * Only events with this routing key.
     *
     * @param key the routing key
     * @return the filter
     */
    static RoutingFilter key(String key) {
        return new Key(key);
    }

    /** Every event. Use {@link #ALL}. */
    record All() implements RoutingFilter {}

    /** Events without a routing key. Use {@link #NONE}. */
    record None() implements RoutingFilter {}

    /**
     * Events with one routing key.
     *
     * @param key the routing key
     */
    record Key(String key) implements RoutingFilter {
        /**
         * Validates the key.
         *
         * @param key the routing key
         */
        public Key {
            Validation.name("routingKey", key);
        }
    }
}
