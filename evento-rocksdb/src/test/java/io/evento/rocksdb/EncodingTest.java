package io.evento.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.StoreException;
import io.evento.spi.ParkedEvent;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EncodingTest {
    private static final List<String> STRINGS = List.of(
            "a",
            "ab",
            "b",
            "a\u0001",
            "\u007F",
            "\u0080",
            "é",
            "\u07FF",
            "\u0800",
            "漢字",
            "\uFFFF",
            "😀",
            "\uD800",
            "\uDC00",
            "\uDBFF\uD800",
            "?",
            "\0");

    @Test
    void every_string_round_trips_exactly_and_distinct_strings_get_distinct_bytes() {
        Set<String> encodings = new HashSet<>();
        for (String s : STRINGS) {
            byte[] bytes = new Bytes(4).putString(s).toArray();
            assertThat(new Bytes.Reader(bytes, "test").getString()).as(s).isEqualTo(s);
            assertThat(encodings.add(Arrays.toString(bytes)))
                    .as("unique encoding of %s", s)
                    .isTrue();
        }
        String longest = "漢".repeat(Character.MAX_VALUE / 3);
        assertThat(new Bytes.Reader(new Bytes(4).putString(longest).toArray(), "test").getString())
                .isEqualTo(longest);
        assertThatThrownBy(() -> new Bytes(4).putString(longest + "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("65536 bytes");
    }

    @Test
    void strings_are_written_exactly_as_data_output_writes_modified_utf_8() throws Exception {
        List<String> strings = new ArrayList<>(STRINGS);
        strings.addAll(List.of("01KMZ3M7X9Q2B8C4D6E8F0G1H2", "bank/Account", "a?b", "ok\0", "caf\u00e9", "x\uD800y"));
        for (String s : strings) {
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            new DataOutputStream(expected).writeUTF(s);

            assertThat(new Bytes(4).putString(s).toArray()).as(s).isEqualTo(expected.toByteArray());
        }
    }

    @Test
    void no_pair_of_strings_encodes_as_a_prefix_of_another_pair() {
        Set<String> seen = new HashSet<>();
        for (String type : STRINGS) {
            for (String id : STRINGS) {
                byte[] prefix = Keys.aggregate(type, id);
                assertThat(seen.add(Arrays.toString(prefix))).isTrue();
                for (String otherType : STRINGS) {
                    for (String otherId : STRINGS) {
                        if (!(otherType.equals(type) && otherId.equals(id))) {
                            assertThat(Bytes.startsWith(
                                            Keys.withVersion(Keys.aggregate(otherType, otherId), 1), prefix))
                                    .as("(%s, %s) under (%s, %s)", otherType, otherId, type, id)
                                    .isFalse();
                        }
                    }
                }
            }
        }
    }

    @Test
    void positions_and_versions_sort_by_their_bytes_like_numbers() {
        long[] positions = {1, 2, 255, 256, 65_535, 1L << 40, Long.MAX_VALUE};
        for (int i = 1; i < positions.length; i++) {
            assertThat(Arrays.compareUnsigned(Keys.position(positions[i - 1]), Keys.position(positions[i])))
                    .isNegative();
            assertThat(Keys.positionAtEnd(Keys.withPosition(Keys.type("t"), positions[i])))
                    .isEqualTo(positions[i]);
        }
        byte[] prefix = Keys.aggregate("t", "a");
        int[] versions = {1, 2, 127, 128, 255, 256, Integer.MAX_VALUE};
        for (int i = 1; i < versions.length; i++) {
            assertThat(Arrays.compareUnsigned(
                            Keys.withVersion(prefix, versions[i - 1]), Keys.withVersion(prefix, versions[i])))
                    .isNegative();
            assertThat(Keys.versionAtEnd(Keys.withVersion(prefix, versions[i]))).isEqualTo(versions[i]);
        }
    }

    @Test
    void records_round_trip_field_for_field() {
        StoredEvent event = new StoredEvent(
                "01J00000000000000000000000",
                "bank/Account",
                "\uD800 id",
                7,
                "Deposited",
                Optional.of("eu"),
                new byte[] {0, 1, -1},
                "{\"a\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                -5L);
        assertThat(Records.event(Records.event(event))).isEqualTo(event);
        StoredEvent unrouted = event.withRoutingKey(Optional.empty());
        assertThat(Records.event(Records.event(unrouted))).isEqualTo(unrouted);

        StoredSnapshot snapshot = new StoredSnapshot("p", "t", "i", "rev", 3, new byte[] {9}, 12L);
        assertThat(Records.snapshot("p", "t", "i", Records.snapshot(snapshot))).isEqualTo(snapshot);

        Records.Subscriber subscriber = new Records.Subscriber("w", 4, Instant.ofEpochSecond(5, 6), null, false);
        assertThat(Records.subscriber(Records.subscriber(subscriber))).isEqualTo(subscriber);
        Records.Subscriber maximal = new Records.Subscriber("w", Long.MAX_VALUE, Instant.MAX, "cursor", true);
        assertThat(Records.subscriber(Records.subscriber(maximal))).isEqualTo(maximal);
        Records.Subscriber revoked = new Records.Subscriber(null, 7, Instant.EPOCH, "c", true);
        assertThat(Records.subscriber(Records.subscriber(revoked))).isEqualTo(revoked);
        assertThat(Records.subscriber(Records.subscriber(Records.Subscriber.NEW)))
                .isEqualTo(Records.Subscriber.NEW);

        String odd = "ünïcødé ' \" ; \\ \uD800 😀 ".repeat(100);
        ParkedEvent parked = new ParkedEvent(
                "sub",
                "01J00000000000000000000000",
                "bank/Account",
                "\uDC00 id",
                3,
                odd,
                5,
                Instant.ofEpochSecond(-1, 7));
        assertThat(Records.parked("sub", Records.parked(parked))).isEqualTo(parked);
        assertThat(Records.parkedSlot(Records.parkedSlot(Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);

        assertThat(Records.aggregateEntry(Records.aggregateEntry(9, Optional.of("k"))))
                .isEqualTo(new Records.AggregateEntry(9, Optional.of("k")));
    }

    @Test
    void a_subscriber_record_of_format_1_is_read_as_not_paused_with_its_worker() {
        byte[] format1 = new Bytes(64)
                .putByte(1)
                .putString("w1")
                .putLong(3)
                .putLong(10)
                .putInt(20)
                .putByte(1)
                .putString("cursor")
                .toArray();

        assertThat(Records.subscriber(format1))
                .isEqualTo(new Records.Subscriber("w1", 3, Instant.ofEpochSecond(10, 20), "cursor", false));
        byte[] newer = Records.subscriber(Records.Subscriber.NEW);
        newer[0] = 3;
        assertThatThrownBy(() -> Records.subscriber(newer))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("format 3")
                .hasMessageContaining("reads format 1 and 2");
        byte[] badFlag = Records.subscriber(Records.Subscriber.NEW);
        badFlag[badFlag.length - 1] = 2;
        assertThatThrownBy(() -> Records.subscriber(badFlag))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("bad flag");
    }

    @Test
    void parked_keys_group_a_subscription_and_order_it_by_sequence() {
        byte[] prefix = Keys.parkedOf("sub");
        long[] sequences = {1, 2, 255, 256, 1L << 40};
        for (int i = 1; i < sequences.length; i++) {
            assertThat(Arrays.compareUnsigned(Keys.parked("sub", sequences[i - 1]), Keys.parked("sub", sequences[i])))
                    .isNegative();
            assertThat(Keys.sequenceAtEnd(Keys.parked("sub", sequences[i]))).isEqualTo(sequences[i]);
        }
        for (String other : STRINGS) {
            assertThat(Bytes.startsWith(Keys.parked(other, 1), Keys.parkedOf("sub" + other)))
                    .isFalse();
        }
        assertThat(Bytes.startsWith(Keys.parked("sub", 1), prefix)).isTrue();
        assertThat(Keys.parkedEvent("a", "bc")).isNotEqualTo(Keys.parkedEvent("ab", "c"));
    }

    @Test
    void a_truncated_extended_or_foreign_format_record_is_a_store_exception_naming_it() {
        byte[] good = Records.snapshot(new StoredSnapshot("p", "t", "i", "rev", 3, new byte[] {9}, 12L));

        assertThatThrownBy(() -> Records.snapshot("p", "t", "i", Arrays.copyOf(good, good.length - 1)))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("corrupt snapshot")
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> Records.snapshot("p", "t", "i", Arrays.copyOf(good, good.length + 1)))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("trailing");
        byte[] newer = good.clone();
        newer[0] = 2;
        assertThatThrownBy(() -> Records.snapshot("p", "t", "i", newer))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("format 2");
        assertThatThrownBy(() -> Records.event(new byte[0]))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("corrupt event");
    }
}
