package io.evento;

import java.util.List;

/**
 * Rewrites events stored in an older shape into the current one, on the way in: wherever events are
 * read (loads, subscriptions, pages, streams), never in the store.
 *
 * <p>An upcaster is registered for one event name and schema version ({@link
 * Evento.Builder#upcaster(Class, String, int, Upcaster)}) and returns the event's new shapes: usually
 * one (a changed field, a new name, the next version), none to drop the event, or several to split
 * it. Their output goes through the upcasters again, so a chain v1 → v2 → v3 is written one step at
 * a time; an output with the same event and version as its input is final. An event stored under a
 * former name ({@link EventName#aliases()}) goes through the upcasters of its current name too. The derived events keep the stored event's aggregate, version, metadata and time; the
 * first keeps its id, the others get {@code id/1}, {@code id/2}, ...
 *
 * <pre>{@code
 * // v1 stored "amount" in cents as a string; v2 has a long and a currency.
 * .upcaster(Account.class, "MoneyDeposited", 1, old -> {
 *     ObjectNode json = old.json();
 *     json.put("amount", Long.parseLong(json.remove("amount").asText()));
 *     json.put("currency", "EUR");
 *     return List.of(old.withJson(json).withVersion(2));
 * })
 * }</pre>
 */
@FunctionalInterface
public interface Upcaster {
    /**
     * Rewrites one stored shape.
     *
     * @param stored the event as stored (or as a previous upcaster left it)
     * @return its new shapes, possibly none
     */
    List<EventShape> upcast(EventShape stored);
}
