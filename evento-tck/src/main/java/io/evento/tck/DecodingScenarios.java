package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.evento.EventDecodingException;
import io.evento.EventFilter;
import io.evento.PageRequest;
import io.evento.Projection;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Stored events that do not decode fail loudly, naming the event, and stay stored.
 *
 * <p>Run by {@link ExecutorTck} as its {@code Decoding} group.
 */
abstract class DecodingScenarios extends Scenarios {
    DecodingScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void an_event_stored_under_an_unknown_name_fails_to_decode_naming_it() {
        String good = evento().create().event(new Account.Opened("Good", 1)).commit();
        StoredEvent ghost = stored(ACCOUNT_TYPE, "ghost", 1, "Vanished", Optional.empty(), json("{}"));
        store().write(List.of(ghost));
        List<StoredEvent> before = storedEvents(store());

        assertThatExceptionOfType(EventDecodingException.class)
                .isThrownBy(() -> evento().read(ReadQuery.all(PageRequest.forward(10))))
                .satisfies(e -> {
                    assertThat(e.eventId()).isEqualTo(ghost.id());
                    assertThat(e.eventName()).isEqualTo("Vanished");
                    assertThat(e.aggregatorType()).isEqualTo(ACCOUNT_TYPE);
                    assertThat(e.getMessage()).contains(ghost.id()).contains("Vanished");
                });
        assertThat(storedEvents(store())).isEqualTo(before).contains(ghost);
        assertThat(evento().read(ReadQuery.of(PageRequest.forward(10), EventFilter.aggregate(Account.class, good)))
                        .nodes())
                .hasSize(1);
    }

    @Test
    void an_event_of_an_unknown_aggregate_type_fails_to_decode_naming_it() {
        StoredEvent alien = stored("tck/Alien", "x", 1, "Landed", Optional.empty(), json("{}"));
        store().write(List.of(alien));

        assertThatExceptionOfType(EventDecodingException.class)
                .isThrownBy(() -> evento().read(ReadQuery.all(PageRequest.forward(10))))
                .satisfies(e -> {
                    assertThat(e.eventId()).isEqualTo(alien.id());
                    assertThat(e.eventName()).isEqualTo("Landed");
                    assertThat(e.aggregatorType()).isEqualTo("tck/Alien");
                });
        assertThat(storedEvents(store())).containsExactly(alien);
    }

    @Test
    void a_payload_that_does_not_decode_fails_naming_the_event() {
        evento().create().event(new Account.Opened("Good", 1)).commit();
        StoredEvent broken = stored(ACCOUNT_TYPE, "broken", 1, "Deposited", Optional.empty(), json("not json"));
        store().write(List.of(broken));
        List<StoredEvent> before = storedEvents(store());

        assertThatExceptionOfType(EventDecodingException.class)
                .isThrownBy(() -> evento().read(ReadQuery.all(PageRequest.forward(10))))
                .satisfies(e -> {
                    assertThat(e.eventId()).isEqualTo(broken.id());
                    assertThat(e.eventName()).isEqualTo("Deposited");
                    assertThat(e.getMessage()).contains(broken.id()).contains("Deposited");
                });
        assertThatExceptionOfType(EventDecodingException.class)
                .isThrownBy(() -> evento().load(ACCOUNT, "broken"))
                .satisfies(e -> assertThat(e.eventId()).isEqualTo(broken.id()));
        assertThat(storedEvents(store())).isEqualTo(before);
        assertThat(store().readAggregate(ACCOUNT_TYPE, "broken", 0, 10))
                .singleElement()
                .satisfies(e -> assertThat(e.data()).isEqualTo(json("not json")));
    }

    @Test
    void metadata_that_does_not_decode_fails_naming_the_event() {
        StoredEvent broken = new StoredEvent(
                newEventId(),
                ACCOUNT_TYPE,
                "bad-meta",
                1,
                "Deposited",
                Optional.empty(),
                json("{\"amount\":1}"),
                json("not json either"),
                TIMESTAMP_MICROS);
        store().write(List.of(broken));

        assertThatExceptionOfType(EventDecodingException.class)
                .isThrownBy(() -> evento().read(ReadQuery.all(PageRequest.forward(10))))
                .satisfies(e -> {
                    assertThat(e.eventId()).isEqualTo(broken.id());
                    assertThat(e.eventName()).isEqualTo("Deposited");
                });
        assertThat(storedEvents(store())).containsExactly(broken);
    }

    @Test
    void loading_skips_an_unknown_event_name_unless_the_safety_check_is_on() {
        store().write(List.of(
                stored(
                        ACCOUNT_TYPE,
                        "legacy",
                        1,
                        "Opened",
                        Optional.empty(),
                        json("{\"owner\":\"Old\",\"balance\":3}")),
                stored(ACCOUNT_TYPE, "legacy", 2, "Retired", Optional.empty(), json("{}"))));

        assertThat(evento().load(ACCOUNT, "legacy")).hasValueSatisfying(l -> {
            assertThat(l.state()).isEqualTo(new AccountView("Old", 3, 0));
            assertThat(l.version()).isEqualTo(2);
        });
        Projection<AccountView> strict = Projection.builder(
                        "tck-strict", Account.class, () -> new AccountView("", 0, 0))
                .on(Account.class, (s, e) -> s)
                .safetyCheck()
                .build();
        assertThatExceptionOfType(EventDecodingException.class)
                .isThrownBy(() -> evento().load(strict, "legacy"))
                .satisfies(e -> assertThat(e.eventName()).isEqualTo("Retired"));
    }
}
