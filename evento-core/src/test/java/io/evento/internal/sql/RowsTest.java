package io.evento.internal.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.evento.internal.sql.FakeJdbc.FakeStatement;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.StoredSnapshot;
import io.evento.spi.SubscriberState;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The binding and row mapping shared by the SQL executors, against fake JDBC objects. */
class RowsTest {
    private static final Instant T = Instant.parse("2024-05-06T07:08:09.123456Z");

    /** A dialect storing times as microseconds, as SQLite does. */
    private static final ColumnReader MICROS = (rs, column) -> Instant.EPOCH.plusNanos(rs.getLong(column) * 1_000);

    /** A dialect keeping text as UTF-8 bytes, as MySQL does. */
    private static final ColumnReader BYTES = new ColumnReader() {
        @Override
        public String text(ResultSet rs, int column) throws SQLException {
            byte[] value = rs.getBytes(column);
            return value == null ? null : new String(value, StandardCharsets.UTF_8);
        }

        @Override
        public Instant instant(ResultSet rs, int column) throws SQLException {
            return MICROS.instant(rs, column);
        }
    };

    private static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000 + t.getNano() / 1_000;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void a_snapshot_is_bound_in_the_order_of_the_upsert() throws SQLException {
        byte[] data = {1, 2, 3};
        FakeStatement upsert = new FakeStatement();

        SnapshotRows.bindUpsert(upsert.statement, new StoredSnapshot("p", "bank/Account", "a-1", "r2", 7, data, 99L));

        assertThat(upsert.bound)
                .containsExactly(
                        entry(1, "p"),
                        entry(2, "bank/Account"),
                        entry(3, "a-1"),
                        entry(4, "r2"),
                        entry(5, 7),
                        entry(6, data),
                        entry(7, 99L));
    }

    @Test
    void a_snapshot_is_selected_by_its_key_and_read_back() throws SQLException {
        FakeStatement select = new FakeStatement();
        SnapshotRows.bindKey(select.statement, "p", "bank/Account", "a-1");

        Optional<StoredSnapshot> found = SnapshotRows.read(
                FakeJdbc.rows(new Object[] {"r2", 7, new byte[] {1}, 99L}), MICROS, "p", "bank/Account", "a-1");

        assertThat(select.bound).containsExactly(entry(1, "p"), entry(2, "bank/Account"), entry(3, "a-1"));
        assertThat(found).hasValueSatisfying(s -> {
            assertThat(s.projection()).isEqualTo("p");
            assertThat(s.aggregatorType()).isEqualTo("bank/Account");
            assertThat(s.aggregatorId()).isEqualTo("a-1");
            assertThat(s.revision()).isEqualTo("r2");
            assertThat(s.version()).isEqualTo(7);
            assertThat(s.data()).containsExactly(1);
            assertThat(s.timestampMicros()).isEqualTo(99L);
        });
    }

    @Test
    void no_row_is_no_snapshot_and_a_zero_length_value_read_as_null_is_empty_data() throws SQLException {
        assertThat(SnapshotRows.read(FakeJdbc.rows(), MICROS, "p", "t", "i")).isEmpty();
        assertThat(SnapshotRows.read(FakeJdbc.rows(new Object[] {utf8("r"), 1, null, 5L}), BYTES, "p", "t", "i"))
                .hasValueSatisfying(s -> {
                    assertThat(s.revision()).isEqualTo("r");
                    assertThat(s.data()).isEmpty();
                });
    }

    @Test
    void a_parked_entry_is_bound_from_any_parameter_and_leaves_its_time_to_the_dialect() throws SQLException {
        FakeStatement park = new FakeStatement();
        ParkedEvent event = new ParkedEvent("sub", "e-1", "bank/Account", "a-1", 3, "boom", 2, T);

        int next = ParkedRows.bindEntry(park.statement, 4, event);

        assertThat(next).isEqualTo(11);
        assertThat(park.bound)
                .containsExactly(
                        entry(4, "sub"),
                        entry(5, "e-1"),
                        entry(6, "bank/Account"),
                        entry(7, "a-1"),
                        entry(8, 3),
                        entry(9, "boom"),
                        entry(10, 2));
    }

    @Test
    void parked_entries_are_listed_in_the_order_of_the_select() throws SQLException {
        FakeStatement select = new FakeStatement();
        ParkedRows.bindList(select.statement, "sub", 10);
        FakeStatement delete = new FakeStatement();
        ParkedRows.bindId(delete.statement, "sub", "e-1");

        List<ParkedEvent> entries = ParkedRows.readList(
                FakeJdbc.rows(
                        new Object[] {utf8("e-1"), utf8("bank/Account"), utf8("a-1"), 3, "boom", 2, micros(T)},
                        new Object[] {utf8("e-2"), utf8("bank/Account"), utf8("a-2"), 1, "bang", 1, micros(T)}),
                BYTES,
                "sub",
                10);

        assertThat(select.bound).containsExactly(entry(1, "sub"), entry(2, 10));
        assertThat(delete.bound).containsExactly(entry(1, "sub"), entry(2, "e-1"));
        assertThat(entries)
                .containsExactly(
                        new ParkedEvent("sub", "e-1", "bank/Account", "a-1", 3, "boom", 2, T),
                        new ParkedEvent("sub", "e-2", "bank/Account", "a-2", 1, "bang", 1, T));
    }

    @Test
    void a_lease_is_bound_as_key_worker_and_token() throws SQLException {
        FakeStatement acknowledge = new FakeStatement();

        int next = SubscriberRows.bindLease(acknowledge.statement, 2, new Lease("sub", "w-1", 5, T));

        assertThat(next).isEqualTo(5);
        assertThat(acknowledge.bound).containsExactly(entry(2, "sub"), entry(3, "w-1"), entry(4, 5L));
    }

    @Test
    void a_subscriber_row_reads_back_with_or_without_a_holder() throws SQLException {
        Optional<SubscriberState> held = SubscriberRows.readState(
                FakeJdbc.rows(new Object[] {"c1", "w-1", 5L, micros(T), false}), MICROS, "sub");
        Optional<SubscriberState> resetToNull =
                SubscriberRows.readState(FakeJdbc.rows(new Object[] {null, null, 5L, 0L, true}), MICROS, "sub");
        Optional<SubscriberState> resetToEmpty =
                SubscriberRows.readState(FakeJdbc.rows(new Object[] {null, utf8(""), 5L, 0L, false}), BYTES, "sub");

        assertThat(held).contains(new SubscriberState("sub", Optional.of("c1"), Optional.of("w-1"), 5, T, false));
        assertThat(resetToNull)
                .contains(new SubscriberState("sub", Optional.empty(), Optional.empty(), 5, Instant.EPOCH, true));
        assertThat(resetToEmpty)
                .contains(new SubscriberState("sub", Optional.empty(), Optional.empty(), 5, Instant.EPOCH, false));
        assertThat(SubscriberRows.readState(FakeJdbc.rows(), MICROS, "sub")).isEmpty();
    }
}
