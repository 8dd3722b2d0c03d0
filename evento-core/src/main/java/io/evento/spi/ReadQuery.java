package io.evento.spi;

import io.evento.EventFilter;
import io.evento.PageRequest;
import io.evento.RoutingFilter;
import java.util.List;
import java.util.Objects;

/**
 * A paged read of the global log.
 *
 * @param filters OR-ed filters; empty selects every event
 * @param routing the routing-key filter
 * @param page which page
 */
public record ReadQuery(List<EventFilter> filters, RoutingFilter routing, PageRequest page) {
    /**
     * Validates the query.
     *
     * @param filters OR-ed filters
     * @param routing the routing-key filter
     * @param page which page
     */
    public ReadQuery {
        filters = List.copyOf(filters);
        Objects.requireNonNull(routing, "routing");
        Objects.requireNonNull(page, "page");
    }

    /**
     * Every event, all routing keys.
     *
     * @param page which page
     * @return the query
     */
    public static ReadQuery all(PageRequest page) {
        return new ReadQuery(List.of(), RoutingFilter.ALL, page);
    }

    /**
     * Events matching any of the filters, all routing keys.
     *
     * @param page which page
     * @param filters OR-ed filters
     * @return the query
     */
    public static ReadQuery of(PageRequest page, EventFilter... filters) {
        return new ReadQuery(List.of(filters), RoutingFilter.ALL, page);
    }

    /**
     * Whether an event matches the filters and the routing filter; the reference semantics every
     * executor implements.
     *
     * @param e the event
     * @return {@code true} if selected
     */
    public boolean matches(StoredEvent e) {
        boolean routed = switch (routing) {
            case RoutingFilter.All a -> true;
            case RoutingFilter.None n -> e.routingKey().isEmpty();
            case RoutingFilter.Key k -> e.routingKey().filter(k.key()::equals).isPresent();
        };
        if (!routed) {
            return false;
        }
        if (filters.isEmpty()) {
            return true;
        }
        for (EventFilter f : filters) {
            boolean match = switch (f) {
                case EventFilter.ByType t -> t.aggregatorType().equals(e.aggregatorType());
                case EventFilter.ById i ->
                    i.aggregatorType().equals(e.aggregatorType())
                            && i.aggregatorId().equals(e.aggregatorId());
                case EventFilter.ByName n ->
                    n.aggregatorType().equals(e.aggregatorType()) && n.name().equals(e.name());
            };
            if (match) {
                return true;
            }
        }
        return false;
    }
}
