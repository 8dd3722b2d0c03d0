package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.evento.Event;
import io.evento.EventDecodingException;
import io.evento.EventFilter;
import io.evento.EventShape;
import io.evento.EventTail;
import io.evento.Evento;
import io.evento.Loaded;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.Projection;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Ledger;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Schema evolution: a store seeded with events as an older version of the application wrote them
 * (other names, other shapes, events that no longer exist) loads, subscribes and pages correctly
 * through aliases and upcasters. Run by {@link ExecutorTck} as its {@code Evolution} group.
 */
abstract class EvolutionScenarios extends Scenarios {
    private static final String LEDGER = "tck/Ledger";

    /** What the ledger projection folds to. */
    record Book(String owner, long cents, List<String> notes, int events) {
        Book plus(long amount) {
            return new Book(owner, cents + amount, notes, events + 1);
        }

        Book note(String text) {
            List<String> all = new ArrayList<>(notes);
            all.add(text);
            return new Book(owner, cents, List.copyOf(all), events + 1);
        }
    }

    static final Projection<Book> BOOK = Projection.builder(
                    "tck-book", Ledger.class, () -> new Book("", 0, List.of(), 0))
            .on(Ledger.LedgerOpened.class, (b, e) -> new Book(e.data().owner(), b.cents(), b.notes(), b.events() + 1))
            .on(
                    Ledger.Credited.class,
                    (b, e) -> b.plus(e.data().units() * 100 + e.data().cents()))
            .on(Ledger.Debited.class, (b, e) -> b.plus(-e.data().cents()))
            .on(Ledger.Noted.class, (b, e) -> b.note(e.data().text()))
            .safetyCheck()
            .build();

    private Evento today;
    private String ledger;
    private List<String> oldIds;

    EvolutionScenarios(StoresUnderTest stores) {
        super(stores);
    }

    /** Writes what the old application wrote, then opens today's application over the store. */
    @BeforeEach
    void seedOldEvents() {
        ledger = "ledger-1";
        List<StoredEvent> old = List.of(
                raw(1, "Opened", "{\"owner\":\"ann\"}"),
                raw(2, "Credited", "{\"amount\":\"12.34\"}"),
                raw(3, "Audited", "{\"by\":\"bot\"}"),
                raw(4, "Transferred", "{\"amount\":\"2.50\",\"to\":\"bob\"}"),
                raw(5, "Credited", "{\"amount\":\"0.07\",\"channel\":\"atm\"}"));
        store().write(old);
        oldIds = old.stream().map(StoredEvent::id).toList();
        today = Evento.builder(store())
                .register(Ledger.class)
                // v1 kept a decimal string; v2 splits it into units and cents.
                .upcaster(Ledger.class, "Credited", 1, v1 -> {
                    ObjectNode json = v1.json();
                    BigDecimal amount = new BigDecimal(json.remove("amount").asText());
                    json.put("units", amount.longValue());
                    json.put(
                            "cents",
                            amount.remainder(BigDecimal.ONE).movePointRight(2).intValue());
                    return List.of(v1.withJson(json).withVersion(2));
                })
                // Audits moved to another system: the events are dropped.
                .upcaster(Ledger.class, "Audited", 1, v1 -> List.of())
                // A transfer became a debit and a note.
                .upcaster(Ledger.class, "Transferred", 1, v1 -> {
                    ObjectNode json = v1.json();
                    long cents = new BigDecimal(json.get("amount").asText())
                            .movePointRight(2)
                            .longValueExact();
                    ObjectNode debit = json.objectNode().put("cents", cents);
                    ObjectNode note = json.objectNode()
                            .put("text", "sent to " + json.get("to").asText());
                    return List.of(
                            new EventShape("Debited", 1, new byte[0]).withJson(debit),
                            new EventShape("Noted", 1, new byte[0]).withJson(note));
                })
                .build();
    }

    @Test
    void old_events_load_through_an_alias_a_field_split_an_event_split_and_a_drop() {
        Loaded<Book> book = today.load(BOOK, ledger).orElseThrow();

        assertThat(book.state()).isEqualTo(new Book("ann", 1234 - 250 + 7, List.of("sent to bob"), 5));
        assertThat(book.version()).isEqualTo(5);
    }

    @Test
    void pages_and_streams_show_the_same_upcast_events_with_the_stored_cursors() {
        Page<Event<?>> page = today.read(ReadQuery.of(PageRequest.forward(10), EventFilter.type(Ledger.class)));

        assertThat(page.nodes())
                .extracting(Event::name)
                .containsExactly("LedgerOpened", "Credited", "Debited", "Noted", "Credited");
        assertThat(page.nodes())
                .extracting(Event::id)
                .containsExactly(oldIds.get(0), oldIds.get(1), oldIds.get(3), oldIds.get(3) + "/1", oldIds.get(4));
        assertThat(page.nodes().get(1).data()).isEqualTo(new Ledger.Credited(12, 34, Optional.empty()));
        assertThat(page.edges().get(2).cursor())
                .as("both halves of a split event carry its cursor")
                .isEqualTo(page.edges().get(3).cursor());
        assertThat(today.stream(ReadQuery.of(PageRequest.forward(2), EventFilter.type(Ledger.class)))
                        .map(Event::name)
                        .toList())
                .containsExactly("LedgerOpened", "Credited", "Debited", "Noted", "Credited");

        Page<Event<?>> second = today.read(
                ReadQuery.of(PageRequest.forward(1, page.edges().get(1).cursor()), EventFilter.type(Ledger.class)));
        assertThat(second.nodes())
                .as("a page holding only a dropped event is empty but still pages on")
                .isEmpty();
        assertThat(second.pageInfo().hasNextPage()).isTrue();
        assertThat(second.pageInfo().endCursor()).isPresent();
    }

    @Test
    void a_subscription_receives_the_upcast_events() {
        List<String> seen = new CopyOnWriteArrayList<>();

        today.subscription("ledger-feed")
                .on(Ledger.class, (e, c) -> seen.add(e.name() + " " + e.data()))
                .safetyCheck()
                .execute();

        assertThat(seen)
                .containsExactly(
                        "LedgerOpened LedgerOpened[owner=ann]",
                        "Credited Credited[units=12, cents=34, memo=Optional.empty]",
                        "Debited Debited[cents=250]",
                        "Noted Noted[text=sent to bob]",
                        "Credited Credited[units=0, cents=7, memo=Optional.empty]");
    }

    @Test
    void new_events_are_stored_under_the_current_name_and_version_and_load_without_upcasting() {
        today.aggregator(ledger)
                .event(new Ledger.Credited(1, 1, Optional.of("tip")))
                .commit();

        StoredEvent stored = store().lastEvent(LEDGER, ledger).orElseThrow();
        assertThat(stored.name()).isEqualTo("Credited");
        assertThat(new String(stored.metadata(), StandardCharsets.UTF_8)).contains("\"eventVersion\":2");
        assertThat(today.decode(stored).data()).isEqualTo(new Ledger.Credited(1, 1, Optional.of("tip")));
        assertThat(today.decode(stored).metadata().keys()).doesNotContain("eventVersion");
        assertThat(today.load(BOOK, ledger).orElseThrow().state().cents()).isEqualTo(1234 - 250 + 7 + 101);
    }

    @Test
    void unknown_fields_are_ignored_and_a_missing_required_field_names_the_event_and_the_field() {
        today.aggregator(ledger).event(new Ledger.Noted("ok")).commit();
        StoredEvent missing = raw(7, "Credited", "{\"units\":3,\"memo\":\"no cents\"}", 2);
        store().write(List.of(missing));

        assertThatThrownBy(() -> today.load(BOOK, ledger))
                .isInstanceOfSatisfying(
                        EventDecodingException.class,
                        e -> assertThat(e.getMessage())
                                .contains(missing.id())
                                .contains("Credited")
                                .contains("'cents'"));
        assertThat(today.decode(store().readAggregate(LEDGER, ledger, 4, 1).getFirst())
                        .data())
                .as("an unknown field (channel) in an old event is ignored")
                .isEqualTo(new Ledger.Credited(0, 7, Optional.empty()));
    }

    @Test
    void an_event_stored_under_a_former_name_goes_through_the_upcasters_of_its_current_name() {
        store().write(List.of(raw(6, "Opened", "{\"name\":\"zed\"}")));
        Evento renamedField = Evento.builder(store())
                .register(Ledger.class)
                .upcaster(Ledger.class, "LedgerOpened", 1, v1 -> {
                    ObjectNode json = v1.json();
                    if (json.has("name")) {
                        json.set("owner", json.remove("name"));
                    }
                    return List.of(v1.withJson(json));
                })
                .upcaster(Ledger.class, "Credited", 1, v1 -> List.of())
                .upcaster(Ledger.class, "Audited", 1, v1 -> List.of())
                .upcaster(Ledger.class, "Transferred", 1, v1 -> List.of())
                .build();

        StoredEvent stored = store().readAggregate(LEDGER, ledger, 5, 1).getFirst();
        assertThat(renamedField.decode(stored).data()).isEqualTo(new Ledger.LedgerOpened("zed"));
        assertThat(renamedField.load(BOOK, ledger).orElseThrow().state().owner())
                .isEqualTo("zed");
    }

    @Test
    void a_tail_moves_its_cursor_past_a_split_event_only_after_its_last_part() {
        String resumeAt;
        try (EventTail tail = today.tail(ReadQuery.of(PageRequest.forward(10), EventFilter.type(Ledger.class)))) {
            assertThat(tail.next().name()).isEqualTo("LedgerOpened");
            assertThat(tail.next().name()).isEqualTo("Credited");
            assertThat(tail.next().name()).isEqualTo("Debited");
            resumeAt = tail.cursor().orElseThrow();
            assertThat(tail.next().name()).isEqualTo("Noted");
        }
        try (EventTail resumed =
                today.tail(ReadQuery.of(PageRequest.forward(10, resumeAt), EventFilter.type(Ledger.class)))) {
            assertThat(resumed.next().name())
                    .as("resuming in the middle of a split event starts it again, so no part is lost")
                    .isEqualTo("Debited");
        }
    }

    @Test
    void decode_of_a_split_event_asks_for_decode_all() {
        StoredEvent transferred = store().readAggregate(LEDGER, ledger, 3, 1).getFirst();

        assertThat(today.decodeAll(transferred)).extracting(Event::name).containsExactly("Debited", "Noted");
        assertThatThrownBy(() -> today.decode(transferred))
                .isInstanceOf(EventDecodingException.class)
                .hasMessageContaining("decodeAll");
    }

    private StoredEvent raw(int version, String name, String json) {
        return raw(version, name, json, 1);
    }

    private StoredEvent raw(int version, String name, String json, int schemaVersion) {
        String metadata = "{\"id\":\"" + newEventId() + "\""
                + (schemaVersion == 1 ? "" : ",\"eventVersion\":" + schemaVersion) + "}";
        return new StoredEvent(
                newEventId(),
                LEDGER,
                ledger,
                version,
                name,
                Optional.empty(),
                json.getBytes(StandardCharsets.UTF_8),
                metadata.getBytes(StandardCharsets.UTF_8),
                1_700_000_000_000_000L + version * 1_000L);
    }
}
