package io.evento.bench;

import com.github.f4b6a3.ulid.UlidCreator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * What every raw baseline and backend shares: the shape of the rows the raw side writes, and the
 * names and folders of the stores the backends create.
 *
 * <p>The raw rows are built the way the library builds its own (a ULID per event, JSON metadata
 * naming the commit, a microsecond timestamp), so that the raw side pays for the same values and
 * writes the same number of bytes; only the library's own machinery is missing from it.
 */
final class RawSupport {
    /** The aggregate type of every raw row: the one {@link BenchEvents} is registered under. */
    static final String AGGREGATE_TYPE = "bench/Account";

    /** The event name of every raw row. */
    static final String EVENT_NAME = "Deposited";

    /** Where the embedded backends keep their files, relative to the working directory. */
    static final Path DATA = Path.of("target", "bench-data");

    private RawSupport() {}

    /**
     * Where raw reads fold their decoded columns, so that no JIT may discard the decoding. A plain
     * field: races between threads lose updates, which does not matter, and a volatile write per
     * row would cost the raw side what the library does not pay.
     */
    private static long decoded;

    /**
     * Keeps the columns a raw read decoded besides the payload (as the executor decodes them into a
     * stored event), so that decoding them is real work on every backend.
     */
    static void keep(
            String id,
            String type,
            String aggregateId,
            int version,
            String name,
            String routingKey,
            byte[] metadata,
            long micros) {
        decoded += id.length()
                + type.length()
                + aggregateId.length()
                + version
                + name.length()
                + (routingKey == null ? 0 : routingKey.length())
                + (metadata == null ? 0 : metadata.length)
                + micros;
    }

    /** A new event or commit id: a monotonic ULID, as the library generates them. */
    static String newId() {
        return UlidCreator.getMonotonicUlid().toString();
    }

    /** The metadata of a raw commit's events, {@code {"id":"<commit id>"}}. */
    static byte[] metadata(String commitId) {
        return ("{\"id\":\"" + commitId + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    /** Now, in microseconds since the epoch, the unit of every timestamp column. */
    static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    /**
     * A fresh name: {@code prefix} and a random base-36 suffix, a plain lower-case identifier that
     * PostgreSQL schemas, MariaDB databases and file names all accept.
     */
    static String freshName(String prefix) {
        return prefix + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    }

    /** A JDBC URL fit to print: its password, if any, masked. */
    static String redact(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    /** A new, empty folder under {@link #DATA}. */
    static Path freshFolder(String prefix) {
        Path dir = DATA.resolve(freshName(prefix)).toAbsolutePath();
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    /** Deletes a folder and everything in it; nothing if it is already gone. */
    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            // Deepest first, so that each folder is empty when its turn comes.
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
