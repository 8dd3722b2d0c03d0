package io.evento.internal;

import io.evento.InvalidCursorException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.CRC32;

/**
 * Opaque cursors: a store id, the store's order key (one or more longs) and a checksum, in
 * URL-safe base64. The store id makes a cursor from another store an error instead of a wrong
 * page; the checksum does the same for a cursor that was edited or truncated.
 *
 * <p>Internal: not part of the API; it may change without notice.
 */
public final class Cursors {
    private static final String VERSION = "c1";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private Cursors() {}

    /** Encodes an order key of a store. */
    public static String encode(String storeId, long... key) {
        StringBuilder body = new StringBuilder(VERSION).append('.').append(storeId);
        for (long k : key) {
            body.append('.').append(k);
        }
        String text = body.toString();
        return ENCODER.encodeToString((text + "." + checksum(text)).getBytes(StandardCharsets.UTF_8));
    }

    /** Decodes a cursor of {@code storeId} with {@code parts} longs, or throws {@link InvalidCursorException}. */
    public static long[] decode(String storeId, String cursor, int parts) {
        String text;
        try {
            text = new String(DECODER.decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid(cursor, "not URL-safe base64");
        }
        int lastDot = text.lastIndexOf('.');
        if (lastDot < 0 || !text.startsWith(VERSION + ".")) {
            throw invalid(cursor, "not an Evento cursor");
        }
        String body = text.substring(0, lastDot);
        if (!text.substring(lastDot + 1).equals(checksum(body))) {
            throw invalid(cursor, "checksum mismatch (the cursor was altered or truncated)");
        }
        String[] fields = body.split("\\.", -1);
        if (fields.length != 2 + parts) {
            throw invalid(cursor, "cursor of another kind of store");
        }
        if (!fields[1].equals(storeId)) {
            throw invalid(cursor, "cursor of another store (" + fields[1] + ", this store is " + storeId + ")");
        }
        long[] key = new long[parts];
        try {
            for (int i = 0; i < parts; i++) {
                key[i] = Long.parseLong(fields[2 + i]);
            }
        } catch (NumberFormatException e) {
            throw invalid(cursor, "malformed position");
        }
        return key;
    }

    private static String checksum(String text) {
        CRC32 crc = new CRC32();
        crc.update(text.getBytes(StandardCharsets.UTF_8));
        return Long.toHexString(crc.getValue());
    }

    private static InvalidCursorException invalid(String cursor, String why) {
        String shown = cursor.length() > 60 ? cursor.substring(0, 57) + "..." : cursor;
        return new InvalidCursorException("invalid cursor '" + shown + "': " + why);
    }
}
