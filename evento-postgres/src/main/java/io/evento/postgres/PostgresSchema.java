package io.evento.postgres;

import com.zaxxer.hikari.HikariDataSource;
import io.evento.StoreException;
import io.evento.internal.sql.Migration;
import io.evento.internal.sql.MigrationRunner;
import io.evento.internal.sql.Transactions;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opening a store: its schema created or migrated if needed, and its id read.
 *
 * <p>Migrating writes (the schema, the advisory lock, the history), so it is only done when the
 * history read first says a migration is missing or changed: an up-to-date schema opens with reads
 * alone, which is what lets a hot standby be opened as the read side of an {@code Rw} executor.
 * Processes starting at the same moment serialise on the schema's advisory lock, and the runner
 * checks again under it. The store id, written by the first migration, is part of every cursor.
 */
final class PostgresSchema {
    // Under the executor's name, where users look for its log.
    private static final Logger LOG = LoggerFactory.getLogger(PostgresExecutor.class);

    /** The migration scripts in {@link PostgresExecutor#MIGRATIONS_LOCATION}, in version order. */
    static final List<String> MIGRATION_FILES =
            List.of("V1__create_event_store.sql", "V2__subscriber_control_and_parked_events.sql");

    /** The table recording the applied migrations. */
    static final String SCHEMA_HISTORY_TABLE = "evento_schema_history";

    /**
     * The first key of the advisory lock held while migrating; the second is derived from the
     * schema name, so stores in different schemas migrate independently. ("EVNT" in ASCII.)
     */
    static final int MIGRATION_LOCK_KEY = 0x45564E54;

    private PostgresSchema() {}

    /**
     * Brings the store in {@code schema} up to date on a connection of {@code dataSource} (in
     * auto-commit mode for the purpose, put back as it was) and reads its id. If that fails, the
     * pool created for the store, if any, is closed.
     *
     * @param ownedPool the pool created from a JDBC URL, {@code null} for a user's data source
     * @param from where the connections come from, for messages: a redacted URL or a data source
     * @return the store id
     * @throws StoreException if the database cannot be reached, or the schema not migrated
     */
    static String open(DataSource dataSource, HikariDataSource ownedPool, String schema, String from) {
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            if (!autoCommit) {
                connection.setAutoCommit(true);
            }
            try {
                MigrationRunner runner = migrationRunner(schema);
                List<Migration> applied =
                        isUpToDate(connection, schema, runner) ? List.of() : runner.migrate(connection);
                String storeId = readStoreId(connection, schema);
                LOG.debug(
                        "Opened PostgreSQL store {} in schema {} of {} ({} migrations applied)",
                        storeId,
                        schema,
                        from,
                        applied.size());
                return storeId;
            } finally {
                if (!autoCommit) {
                    connection.setAutoCommit(false);
                }
            }
        } catch (SQLException e) {
            Transactions.closeQuietly(ownedPool, "the connection pool");
            throw PostgresErrors.failure("opening the PostgreSQL store in schema " + schema + " of " + from, e);
        } catch (IllegalStateException e) {
            Transactions.closeQuietly(ownedPool, "the connection pool");
            throw new StoreException(
                    "cannot open the PostgreSQL store in schema " + schema + " of " + from + ": " + e.getMessage(),
                    e,
                    false);
        } catch (RuntimeException | Error e) {
            Transactions.closeQuietly(ownedPool, "the connection pool");
            throw e;
        }
    }

    /**
     * Whether every migration of the runner is recorded in the schema's history with its checksum,
     * read without taking any lock. Anything else (no history, a version missing, a checksum
     * mismatch) is left to the runner, which applies or reports it under its lock.
     */
    private static boolean isUpToDate(Connection connection, String schema, MigrationRunner runner)
            throws SQLException {
        Map<Integer, String> recorded = new HashMap<>();
        try (PreparedStatement exists = connection.prepareStatement(
                "SELECT to_regclass(quote_ident(?) || '." + SCHEMA_HISTORY_TABLE + "') IS NOT NULL")) {
            exists.setString(1, schema);
            try (ResultSet rs = exists.executeQuery()) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    return false;
                }
            }
        }
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(
                        "SELECT version, checksum FROM \"" + schema + "\"." + SCHEMA_HISTORY_TABLE)) {
            while (rs.next()) {
                recorded.put(rs.getInt(1), rs.getString(2));
            }
        }
        Map<Integer, String> expected = new HashMap<>();
        runner.migrations().forEach(m -> expected.put(m.version(), m.checksum()));
        return recorded.equals(expected);
    }

    /**
     * The migration runner of a schema: it takes the schema's advisory lock, creates the schema if
     * it is missing (checking first, so that a user without the right to create schemas can open
     * an existing one) and makes it the first of the search path for the migration transaction.
     * That transaction does not wait for its commit to be flushed: a crash right after it can only
     * lose the whole migration, which the next start applies again, and the first durable write
     * after it flushes it too.
     */
    static MigrationRunner migrationRunner(String schema) {
        CRC32 crc = new CRC32();
        crc.update(schema.getBytes(StandardCharsets.UTF_8));
        int schemaKey = (int) crc.getValue();
        return new MigrationRunner(
                SCHEMA_HISTORY_TABLE,
                List.of(
                        "BEGIN",
                        "SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK_KEY + ", " + schemaKey + ")",
                        "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = '" + schema
                                + "') THEN CREATE SCHEMA \"" + schema + "\"; END IF; END$$",
                        "SET LOCAL search_path TO \"" + schema + "\"",
                        // Durable as soon as any later commit is: its WAL flush includes this one.
                        "SET LOCAL synchronous_commit = off"),
                Migration.load(PostgresExecutor.class, PostgresExecutor.MIGRATIONS_LOCATION, MIGRATION_FILES),
                Clock.systemUTC());
    }

    private static String readStoreId(Connection connection, String schema) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(
                        "SELECT value FROM \"" + schema + "\".evento_meta WHERE key = 'store_id'")) {
            if (!rs.next()) {
                throw new StoreException("schema " + schema + " has no store id in evento_meta", null, false);
            }
            return rs.getString(1);
        }
    }
}
