package io.evento.rocksdb;

import io.evento.StoreException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The primitives of the store's binary formats: a growable big-endian byte buffer to encode keys
 * and values into, and a {@link Reader} to decode them.
 *
 * <h2>Strings</h2>
 *
 * <p>A string is its length in bytes (an unsigned 16-bit number) followed by its characters in
 * <em>modified UTF-8</em>, the encoding of {@link java.io.DataOutputStream#writeUTF}: every {@code
 * char} on its own, {@code U+0000} as two bytes, unpaired surrogates kept. Unlike {@link
 * String#getBytes} with UTF-8 it maps every Java string to its own bytes, so two different ids
 * (say, with unpaired surrogates) can never share a key, and decoding gives back the exact string.
 *
 * <p>The length prefix makes keys built from several strings unambiguous without separators:
 * no sequence of length-prefixed strings is a prefix of another sequence of as many strings, so
 * {@code (type, id)} never collides with another pair whatever characters the parts contain, and
 * every key of one prefix belongs to exactly that prefix. Byte order of such keys is not string
 * order; the store never needs string order, only grouping.
 */
final class Bytes {
    private static final int MAX_STRING_BYTES = 0xFFFF;

    private byte[] buffer;
    private int size;

    Bytes(int capacity) {
        buffer = new byte[Math.max(16, capacity)];
    }

    Bytes putByte(int b) {
        ensure(1);
        buffer[size++] = (byte) b;
        return this;
    }

    Bytes putInt(int v) {
        ensure(4);
        writeInt(buffer, size, v);
        size += 4;
        return this;
    }

    Bytes putLong(long v) {
        ensure(8);
        writeLong(buffer, size, v);
        size += 8;
        return this;
    }

    /** Appends bytes as they are, without a length. */
    Bytes putRaw(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buffer, size, bytes.length);
        size += bytes.length;
        return this;
    }

    /** Appends a byte array with its length (a signed 32-bit number). */
    Bytes putBytes(byte[] bytes) {
        putInt(bytes.length);
        return putRaw(bytes);
    }

    /** Appends a string: its 16-bit byte length, then its modified UTF-8. */
    Bytes putString(String s) {
        int length = s.length();
        // Most strings are ASCII without NUL (ULIDs, type and event names), where modified UTF-8 is
        // UTF-8 byte for byte, and String.getBytes is a copy: half the time of the loops below,
        // which were a quarter of an append's own CPU on RocksDB. A '?' may stand for an unpaired
        // surrogate that getBytes replaced, so a string with one takes the loops too.
        if (length <= MAX_STRING_BYTES) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            if (utf8.length == length && plainAscii(utf8)) {
                ensure(2 + length);
                buffer[size++] = (byte) (length >>> 8);
                buffer[size++] = (byte) length;
                return putRaw(utf8);
            }
        }
        int encoded = length;
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            if (c == 0 || c >= 0x80) {
                encoded += c >= 0x800 ? 2 : 1;
            }
        }
        if (encoded > MAX_STRING_BYTES) {
            throw new IllegalArgumentException(
                    "a string of " + encoded + " bytes cannot be stored, the maximum is " + MAX_STRING_BYTES);
        }
        ensure(2 + encoded);
        buffer[size++] = (byte) (encoded >>> 8);
        buffer[size++] = (byte) encoded;
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            if (c != 0 && c < 0x80) {
                buffer[size++] = (byte) c;
            } else if (c < 0x800) {
                buffer[size++] = (byte) (0xC0 | (c >> 6));
                buffer[size++] = (byte) (0x80 | (c & 0x3F));
            } else {
                buffer[size++] = (byte) (0xE0 | (c >> 12));
                buffer[size++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                buffer[size++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return this;
    }

    /** Whether every byte is ASCII other than NUL and '?'. */
    private static boolean plainAscii(byte[] bytes) {
        for (byte b : bytes) {
            if (b <= 0 || b == '?') {
                return false;
            }
        }
        return true;
    }

    byte[] toArray() {
        return Arrays.copyOf(buffer, size);
    }

    private void ensure(int more) {
        if (size + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
        }
    }

    static void writeInt(byte[] target, int offset, int v) {
        target[offset] = (byte) (v >>> 24);
        target[offset + 1] = (byte) (v >>> 16);
        target[offset + 2] = (byte) (v >>> 8);
        target[offset + 3] = (byte) v;
    }

    static void writeLong(byte[] target, int offset, long v) {
        for (int i = 7; i >= 0; i--) {
            target[offset + i] = (byte) v;
            v >>>= 8;
        }
    }

    static int readInt(byte[] source, int offset) {
        return ((source[offset] & 0xFF) << 24)
                | ((source[offset + 1] & 0xFF) << 16)
                | ((source[offset + 2] & 0xFF) << 8)
                | (source[offset + 3] & 0xFF);
    }

    static long readLong(byte[] source, int offset) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (source[offset + i] & 0xFF);
        }
        return v;
    }

    /** Whether {@code array} begins with {@code prefix}. */
    static boolean startsWith(byte[] array, byte[] prefix) {
        return array.length >= prefix.length && Arrays.equals(array, 0, prefix.length, prefix, 0, prefix.length);
    }

    /**
     * Reads what {@link Bytes} wrote. Anything malformed — a short buffer, a bad string, bytes left
     * over — is a {@link StoreException} naming the record: the store holds data this release
     * cannot read, which no retry fixes.
     */
    static final class Reader {
        private final byte[] source;
        private final String record;
        private int offset;

        Reader(byte[] source, String record) {
            this.source = source;
            this.record = record;
        }

        int getByte() {
            need(1);
            return source[offset++] & 0xFF;
        }

        int getInt() {
            need(4);
            int v = readInt(source, offset);
            offset += 4;
            return v;
        }

        long getLong() {
            need(8);
            long v = readLong(source, offset);
            offset += 8;
            return v;
        }

        byte[] getBytes() {
            int length = getInt();
            if (length < 0) {
                throw corrupt("negative length " + length);
            }
            need(length);
            byte[] bytes = Arrays.copyOfRange(source, offset, offset + length);
            offset += length;
            return bytes;
        }

        String getString() {
            need(2);
            int length = ((source[offset] & 0xFF) << 8) | (source[offset + 1] & 0xFF);
            offset += 2;
            need(length);
            int end = offset + length;
            char[] chars = new char[length];
            int count = 0;
            while (offset < end) {
                int b = source[offset++] & 0xFF;
                if (b < 0x80) {
                    chars[count++] = (char) b;
                } else if ((b & 0xE0) == 0xC0 && offset < end) {
                    chars[count++] = (char) (((b & 0x1F) << 6) | continuation(source[offset++]));
                } else if ((b & 0xF0) == 0xE0 && offset + 1 < end) {
                    int second = continuation(source[offset++]);
                    chars[count++] = (char) (((b & 0x0F) << 12) | (second << 6) | continuation(source[offset++]));
                } else {
                    throw corrupt("malformed string");
                }
            }
            return new String(chars, 0, count);
        }

        /** Checks that nothing is left: a longer record is not one this release wrote. */
        void end() {
            if (offset != source.length) {
                throw corrupt((source.length - offset) + " unexpected trailing bytes");
            }
        }

        StoreException corrupt(String why) {
            return new StoreException("corrupt " + record + " in the RocksDB store: " + why, null, false);
        }

        private int continuation(byte b) {
            if ((b & 0xC0) != 0x80) {
                throw corrupt("malformed string");
            }
            return b & 0x3F;
        }

        private void need(int bytes) {
            if (bytes > source.length - offset) {
                throw corrupt("truncated at byte " + offset);
            }
        }
    }
}
