package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.evento.AggregateRef;
import io.evento.Projection;
import io.evento.UnhandledEventException;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import org.junit.jupiter.api.Test;

/**
 * Unhandled events are ignored, unless the projection's safety check is on.
 *
 * <p>Run by {@link ExecutorTck} as its {@code SafetyCheck} group.
 */
abstract class SafetyCheckScenarios extends Scenarios {
    SafetyCheckScenarios(StoresUnderTest stores) {
        super(stores);
    }

    private Projection.Builder<Long> openedOnly() {
        return Projection.<Long>builder("tck-opened-only", Account.class, () -> 0L)
                .on(Account.Opened.class, (s, e) -> e.data().balance());
    }

    @Test
    void with_the_safety_check_an_unhandled_event_is_an_error_naming_it() {
        String id = evento().create()
                .event(new Account.Opened("Safe", 5))
                .event(new Account.Renamed("Unsafe"))
                .commit();
        StoredEvent renamed = store().lastEvent(ACCOUNT_TYPE, id).orElseThrow();
        Projection<Long> projection = openedOnly().safetyCheck().build();

        assertThatExceptionOfType(UnhandledEventException.class)
                .isThrownBy(() -> evento().load(projection, id))
                .satisfies(e -> {
                    assertThat(e.eventName()).isEqualTo("OwnerRenamed");
                    assertThat(e.eventId()).isEqualTo(renamed.id());
                    assertThat(e.getMessage())
                            .contains("OwnerRenamed")
                            .contains(renamed.id())
                            .contains("tck-opened-only");
                });
    }

    @Test
    void with_the_safety_check_a_skipped_event_type_is_accepted() {
        String id = evento().create()
                .event(new Account.Opened("Safe", 5))
                .event(new Account.Renamed("Skipped"))
                .commit();
        Projection<Long> projection =
                openedOnly().skip(Account.Renamed.class).safetyCheck().build();

        assertThat(evento().load(projection, id)).hasValueSatisfying(l -> {
            assertThat(l.state()).isEqualTo(5L);
            assertThat(l.version()).isEqualTo(2);
        });

        evento().aggregator(id).event(new Account.Deposited(1)).commit();
        assertThatExceptionOfType(UnhandledEventException.class)
                .isThrownBy(() -> evento().load(projection, id))
                .satisfies(e -> assertThat(e.eventName()).isEqualTo("Deposited"));
    }

    @Test
    void skipping_a_whole_family_accepts_all_its_events() {
        String account = evento().create()
                .event(new Account.Opened("Fam", 1))
                .event(new Account.Deposited(1))
                .commit();
        String owner = evento().create().event(new Owner.Created("skip me")).commit();
        Projection<Long> projection = Projection.<Long>builder("tck-skip-family", Account.class, () -> 0L)
                .on(Account.Opened.class, (s, e) -> e.data().balance())
                .skip(Account.class)
                .skip(Owner.class)
                .safetyCheck()
                .build();

        assertThat(evento().load(projection, account, AggregateRef.of(Owner.class, owner)))
                .hasValueSatisfying(l -> {
                    assertThat(l.state()).isEqualTo(1L);
                    assertThat(l.version()).isEqualTo(2);
                });
    }

    @Test
    void without_the_safety_check_unhandled_events_are_ignored() {
        String id = evento().create()
                .event(new Account.Opened("Lax", 5))
                .event(new Account.Deposited(7))
                .event(new Account.Renamed("Ignored"))
                .commit();

        assertThat(evento().load(openedOnly().build(), id)).hasValueSatisfying(l -> {
            assertThat(l.state()).isEqualTo(5L);
            assertThat(l.version()).isEqualTo(3);
        });
    }
}
