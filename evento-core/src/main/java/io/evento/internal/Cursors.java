package io.evento.internal;

import io.evento.InvalidCursorException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.zip.CRC32;

/**
 * Opaque cursors: a store id, the store's order key (one or more longs) and a checksum, in
 * URL-safe base64. The store id makes a cursor from another store an error instead of a wrong
 * page; the checksum does the same for a cursor that was edited or truncated.
 */
public final class Cursors {
    private static final String VERSION = "c1";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private Cursors() {}

    /**
     * Encodes an order key of a store. Pages encode one cursor per event, so this writes the text
     * straight into one byte array and encodes it once (about a third of the cost of composing it
     * from strings, measured in a catch-up).
     */
    public static String encode(String storeId, long... key) {
        byte[] store = storeId.getBytes(StandardCharsets.UTF_8);
        int length = VERSION.length() + 1 + store.length;
        for (long k : key) {
            length += 1 + digits(k);
        }
        CRC32 crc = new CRC32();
        byte[] text = new byte[length + 1 + 8];
        int at = 0;
        for (int i = 0; i < VERSION.length(); i++) {
            text[at++] = (byte) VERSION.charAt(i);
        }
        text[at++] = '.';
        System.arraycopy(store, 0, text, at, store.length);
        at += store.length;
        for (long k : key) {
            text[at++] = '.';
            at = writeDecimal(k, text, at);
        }
        crc.update(text, 0, at);
        text[at++] = '.';
        at = writeHex(crc.getValue(), text, at);
        byte[] base64 = ENCODER.encode(at == text.length ? text : Arrays.copyOf(text, at));
        return new String(base64, StandardCharsets.ISO_8859_1);
    }

    /** How many characters {@code Long.toString(value)} has. */
    private static int digits(long value) {
        if (value == Long.MIN_VALUE) {
            return 20;
        }
        int n = value < 0 ? 2 : 1;
        for (long v = Math.abs(value); v >= 10; v /= 10) {
            n++;
        }
        return n;
    }

    /** Writes {@code Long.toString(value)} at {@code at}; returns the index after it. */
    private static int writeDecimal(long value, byte[] out, int at) {
        if (value == Long.MIN_VALUE) {
            byte[] min = Long.toString(value).getBytes(StandardCharsets.ISO_8859_1);
            System.arraycopy(min, 0, out, at, min.length);
            return at + min.length;
        }
        if (value < 0) {
            out[at++] = '-';
            value = -value;
        }
        int end = at + digits(value);
        for (int i = end - 1; i >= at; i--) {
            out[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        return end;
    }

    /** Writes {@code Long.toHexString(value)} of a non-negative value at {@code at}. */
    private static int writeHex(long value, byte[] out, int at) {
        int n = Math.max(1, (64 - Long.numberOfLeadingZeros(value) + 3) / 4);
        for (int i = at + n - 1; i >= at; i--) {
            out[i] = (byte) Character.forDigit((int) (value & 0xf), 16);
            value >>>= 4;
        }
        return at + n;
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
