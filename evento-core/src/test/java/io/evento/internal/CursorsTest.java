package io.evento.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.InvalidCursorException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class CursorsTest {

    @Test
    void a_cursor_decodes_to_the_key_it_was_made_from() {
        String cursor = Cursors.encode("store1", 42L, -7L);
        assertThat(Cursors.decode("store1", cursor, 2)).containsExactly(42L, -7L);
    }

    @Test
    void cursors_are_url_safe() {
        for (long p = 0; p < 5_000; p += 37) {
            assertThat(Cursors.encode("abc", p)).matches("[A-Za-z0-9_-]+");
        }
    }

    @Test
    void a_cursor_of_another_store_is_refused() {
        String cursor = Cursors.encode("store1", 42L);
        assertThatThrownBy(() -> Cursors.decode("store2", cursor, 1))
                .isInstanceOf(InvalidCursorException.class)
                .hasMessageContaining("another store");
    }

    @Test
    void a_cursor_of_another_kind_of_store_is_refused() {
        String cursor = Cursors.encode("store1", 1L, 2L);
        assertThatThrownBy(() -> Cursors.decode("store1", cursor, 1))
                .isInstanceOf(InvalidCursorException.class)
                .hasMessageContaining("another kind");
    }

    @Test
    void an_edited_cursor_is_refused_by_its_checksum() {
        String text = new String(Base64.getUrlDecoder().decode(Cursors.encode("s", 42L)), StandardCharsets.UTF_8);
        String edited = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(text.replace(".42.", ".43.").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Cursors.decode("s", edited, 1))
                .isInstanceOf(InvalidCursorException.class)
                .hasMessageContaining("checksum");
    }

    @Test
    void garbage_and_truncated_cursors_are_refused() {
        String cursor = Cursors.encode("s", 123456L);
        for (String bad : new String[] {"not a cursor!", "%%%", cursor.substring(0, cursor.length() - 3), "YWJj"}) {
            assertThatThrownBy(() -> Cursors.decode("s", bad, 1)).as(bad).isInstanceOf(InvalidCursorException.class);
        }
    }

    @Test
    void the_format_is_stable_because_checkpoints_store_cursors() {
        // Cursors written by earlier versions sit in subscriber checkpoints: the encoding must keep
        // producing exactly "c1.<store>.<key>...<crc32 hex>" in URL-safe base64 without padding.
        long[][] keys = {{0}, {1, 2}, {-7, 42}, {Long.MAX_VALUE, Long.MIN_VALUE}, {9, 10, 99, 100, 1_000_000_007L}};
        for (String store : new String[] {"s", "01J9ZQ4X7Y2M3N4P5Q6R7S8T9V", "störe"}) {
            for (long[] key : keys) {
                StringBuilder body = new StringBuilder("c1.").append(store);
                for (long k : key) {
                    body.append('.').append(k);
                }
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(body.toString().getBytes(StandardCharsets.UTF_8));
                String expected = Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(
                                (body + "." + Long.toHexString(crc.getValue())).getBytes(StandardCharsets.UTF_8));
                assertThat(Cursors.encode(store, key)).as(body.toString()).isEqualTo(expected);
                assertThat(Cursors.decode(store, expected, key.length)).containsExactly(key);
            }
        }
    }
}
