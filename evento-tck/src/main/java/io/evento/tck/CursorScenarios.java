package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.EventFilter;
import io.evento.Evento;
import io.evento.InvalidCursorException;
import io.evento.PageRequest;
import io.evento.spi.Executor;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cursors are opaque: altered ones and those of other stores are refused, never misread.
 *
 * <p>Run by {@link ExecutorTck} as its {@code Cursors} group.
 */
abstract class CursorScenarios extends Scenarios {
    CursorScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void a_malformed_cursor_is_refused_in_both_directions_and_the_store_is_unchanged() {
        seedDeposits(4);
        List<StoredEvent> before = storedEvents(store());
        String real = store().read(ReadQuery.all(PageRequest.forward(2)))
                .pageInfo()
                .endCursor()
                .orElseThrow();

        List<String> bad = new ArrayList<>(List.of(
                "not-a-cursor",
                "x",
                "!!!!",
                "%00",
                "' OR 1=1 --",
                real.substring(0, real.length() / 2),
                real.substring(0, real.length() - 1),
                real + "A",
                altered(real, real.length() / 2),
                altered(real, 0),
                altered(real, real.length() - 2)));
        for (String cursor : bad) {
            assertThat(cursor).isNotEqualTo(real);
            assertRefused(cursor);
        }
        assertThatThrownBy(() -> PageRequest.forward(1, "")).isInstanceOf(InvalidCursorException.class);
        assertThat(storedEvents(store())).isEqualTo(before);
        assertThat(store().read(ReadQuery.all(PageRequest.forward(10, real))).nodes())
                .containsExactlyElementsOf(before.subList(2, 4));
    }

    @Test
    void a_cursor_from_another_store_is_refused() {
        seedDeposits(3);
        Executor other = openStore();
        Evento otherEvento = eventoOn(other);
        otherEvento.create().event(new Account.Opened("elsewhere", 1)).commit();
        otherEvento.create().event(new Account.Opened("elsewhere too", 2)).commit();
        String foreign = other.read(ReadQuery.all(PageRequest.forward(1)))
                .pageInfo()
                .endCursor()
                .orElseThrow();
        List<StoredEvent> before = storedEvents(store());
        List<StoredEvent> otherBefore = storedEvents(other);

        assertRefused(foreign);
        assertThat(storedEvents(store())).isEqualTo(before);
        assertThat(storedEvents(other)).isEqualTo(otherBefore);
        assertThat(other.read(ReadQuery.all(PageRequest.forward(5, foreign))).nodes())
                .containsExactly(otherBefore.get(1));
    }

    private void assertRefused(String cursor) {
        assertThatThrownBy(() -> store().read(ReadQuery.all(PageRequest.forward(2, cursor))))
                .as("forward after %s", cursor)
                .isInstanceOf(InvalidCursorException.class);
        assertThatThrownBy(() -> store().read(ReadQuery.all(PageRequest.backward(2, cursor))))
                .as("backward before %s", cursor)
                .isInstanceOf(InvalidCursorException.class);
        assertThatThrownBy(() ->
                        evento().read(ReadQuery.of(PageRequest.forward(2, cursor), EventFilter.type(Account.class))))
                .as("filtered forward after %s", cursor)
                .isInstanceOf(InvalidCursorException.class);
    }
}
