package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.AggregateRef;
import io.evento.Event;
import io.evento.EventFilter;
import io.evento.Evento;
import io.evento.Loaded;
import io.evento.PageRequest;
import io.evento.Projection;
import io.evento.spi.ReadQuery;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import io.evento.tck.domain.Parcel;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * Registration keeps its promises on every backend: an event that would not read back is refused
 * before anything is stored, and a forgotten {@code register(..)} is an error naming what to
 * register wherever the family is used, never an empty state or an empty page.
 */
abstract class RegistrationScenarios extends Scenarios {
    private static final String PARCEL_TYPE = "tck/Parcel";

    private static final Projection<String> OWNER_NAME = Projection.builder("tck-owner-name", Owner.class, () -> "")
            .on(Owner.Created.class, (name, e) -> e.data().name())
            .on(Owner.NameChanged.class, (name, e) -> e.data().name())
            .build();

    RegistrationScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void a_commit_holding_a_value_that_would_not_read_back_is_refused_and_writes_nothing() {
        Evento evento = Evento.builder(store()).register(Parcel.class).build();
        String sent = evento.create()
                .event(new Parcel.Sent(new Parcel.Letter("hello")))
                .commit();

        assertThatThrownBy(() -> evento.aggregator("parcel-2")
                        .originalVersion(0)
                        .event(new Parcel.Sent(new Parcel.Letter("first")))
                        .event(new Parcel.Sent(new Parcel.Box(3)))
                        .commit())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Parcel.Sent.class.getName())
                .hasMessageContaining("nothing was written");
        assertThatThrownBy(() -> evento.aggregator(sent)
                        .event(new Parcel.Sent(new Parcel.Box(4)))
                        .commit())
                .isInstanceOf(IllegalArgumentException.class);

        assertThat(store().lastEvent(PARCEL_TYPE, "parcel-2")).isEmpty();
        assertThat(store().lastEvent(PARCEL_TYPE, sent))
                .get()
                .extracting(e -> e.version())
                .isEqualTo(1);
        assertThat(evento.read(ReadQuery.all(PageRequest.forward(10))).nodes())
                .<Object>extracting(Event::data)
                .containsExactly(new Parcel.Sent(new Parcel.Letter("hello")));
    }

    @Test
    void a_forgotten_register_is_refused_by_loads_reads_streams_tails_and_subscriptions_instead_of_answered_empty() {
        Evento writer =
                Evento.builder(store()).register(Account.class, Owner.class).build();
        Evento forgetful = Evento.builder(store()).register(Account.class).build();
        String owner = writer.create().event(new Owner.Created("Ann")).commit();
        String account = writer.create().event(new Account.Opened("Ann", 1)).commit();
        ReadQuery owners = ReadQuery.of(PageRequest.forward(10), EventFilter.type(Owner.class));
        assertThat(writer.load(OWNER_NAME, owner))
                .get()
                .extracting(Loaded::state)
                .isEqualTo("Ann");
        assertThat(writer.read(owners).nodes()).hasSize(1);

        assertNamesOwner(() -> forgetful.load(OWNER_NAME, owner));
        assertNamesOwner(() -> forgetful.load(
                Projection.builder("tck-opened", Account.class, () -> 0)
                        .on(Account.Opened.class, (n, e) -> n + 1)
                        .build(),
                account,
                AggregateRef.of(Owner.class, owner)));
        assertNamesOwner(() -> forgetful.subscription("tck-owners").on(Owner.Created.class, (e, c) -> {}));
        for (ThrowingCallable read : List.<ThrowingCallable>of(
                () -> forgetful.read(owners),
                () -> forgetful.stream(owners),
                () -> forgetful.tail(owners),
                () -> forgetful.read(ReadQuery.of(PageRequest.forward(10), EventFilter.event(Owner.Created.class))))) {
            assertThatThrownBy(read)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'tck/Owner'")
                    .hasMessageContaining("register");
        }
    }

    private static void assertNamesOwner(ThrowingCallable call) {
        assertThatThrownBy(call)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Owner.class.getName())
                .hasMessageContaining("register(Owner.class)");
    }
}
