package io.evento.internal.sql;

import io.evento.EventFilter;
import io.evento.RoutingFilter;
import java.util.List;

/**
 * The WHERE conditions of event filters and routing filters, the same in every SQL dialect; only
 * the column prefix differs (a table alias, or SQLite's {@code +} that keeps an index from being
 * chosen for a column).
 *
 * <p>Internal: not part of the API; it may change without notice.
 */
public final class SqlConditions {
    private SqlConditions() {}

    /** Adds the conditions of one event filter ({@code null}: none) on columns named {@code prefix + column}. */
    public static void filter(EventFilter filter, String prefix, List<String> conditions, List<Object> parameters) {
        switch (filter) {
            case null -> {}
            case EventFilter.ByType t -> {
                conditions.add(prefix + "aggregator_type = ?");
                parameters.add(t.aggregatorType());
            }
            case EventFilter.ById i -> {
                conditions.add(prefix + "aggregator_type = ?");
                conditions.add(prefix + "aggregator_id = ?");
                parameters.add(i.aggregatorType());
                parameters.add(i.aggregatorId());
            }
            case EventFilter.ByName n -> {
                conditions.add(prefix + "aggregator_type = ?");
                conditions.add(prefix + "name = ?");
                parameters.add(n.aggregatorType());
                parameters.add(n.name());
            }
        }
    }

    /** Adds the condition of a routing filter on the column {@code prefix + "routing_key"}. */
    public static void routing(RoutingFilter routing, String prefix, List<String> conditions, List<Object> parameters) {
        switch (routing) {
            case RoutingFilter.All a -> {}
            case RoutingFilter.None n -> conditions.add(prefix + "routing_key IS NULL");
            case RoutingFilter.Key k -> {
                conditions.add(prefix + "routing_key = ?");
                parameters.add(k.key());
            }
        }
    }
}
