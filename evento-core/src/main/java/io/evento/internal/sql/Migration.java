package io.evento.internal.sql;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One versioned schema change: a SQL script named like Flyway's versioned migrations, {@code
 * V<version>__<description>.sql}, so that the same files can be applied by Flyway or Liquibase
 * users directly.
 *
 * <p>Internal: not part of the API; it may change without notice.
 *
 * @param version the version, from 1, applied in ascending order
 * @param description what it does, from the file name ({@code create_event_store} reads {@code
 *     create event store})
 * @param script the SQL text
 * @param checksum SHA-256 of the script with line endings normalized to {@code \n}, hex encoded; a
 *     change to an applied migration is detected by comparing it
 */
public record Migration(int version, String description, String script, String checksum) {
    private static final Pattern FILE_NAME = Pattern.compile("V([1-9][0-9]{0,8})__([A-Za-z0-9_]+)\\.sql");

    /**
     * Validates the migration.
     *
     * @param version the version
     * @param description what it does
     * @param script the SQL text
     * @param checksum the checksum of the script
     */
    public Migration {
        if (version < 1) {
            throw new IllegalArgumentException("migration version must be at least 1, was " + version);
        }
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(script, "script");
        Objects.requireNonNull(checksum, "checksum");
    }

    /**
     * A migration from its file name and script; the version and description come from the name.
     *
     * @param fileName a name like {@code V1__create_event_store.sql}
     * @param script the SQL text
     * @return the migration
     * @throws IllegalArgumentException if the name does not follow the pattern
     */
    public static Migration of(String fileName, String script) {
        Matcher m = FILE_NAME.matcher(fileName);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "migration file name must look like V<version>__<description>.sql, was '" + fileName + "'");
        }
        return new Migration(Integer.parseInt(m.group(1)), m.group(2).replace('_', ' '), script, checksum(script));
    }

    /**
     * Loads migrations stored as resources next to each other.
     *
     * @param anchor a class of the module or class loader that holds the resources
     * @param location the resource folder, like {@code db/evento/sqlite}
     * @param fileNames the file names in that folder
     * @return the migrations, in the order given
     * @throws IllegalStateException if a resource is missing
     */
    public static List<Migration> load(Class<?> anchor, String location, List<String> fileNames) {
        return fileNames.stream()
                .map(name -> of(name, read(anchor, "/" + location + "/" + name)))
                .toList();
    }

    /**
     * The checksum of a script: SHA-256 of its text with {@code \r\n} and {@code \r} read as {@code
     * \n}, so that a checkout with other line endings does not count as a change.
     *
     * @param script the SQL text
     * @return the hex-encoded checksum
     */
    public static String checksum(String script) {
        String normalized = script.replace("\r\n", "\n").replace('\r', '\n');
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(normalized.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    private static String read(Class<?> anchor, String resource) {
        try (InputStream in = anchor.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("migration resource " + resource + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read migration resource " + resource, e);
        }
    }

    @Override
    public String toString() {
        return "V" + version + " (" + description + ")";
    }
}
