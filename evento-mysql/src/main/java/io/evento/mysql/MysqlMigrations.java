package io.evento.mysql;

import io.evento.StoreException;
import io.evento.internal.sql.Migration;
import io.evento.internal.sql.MigrationRunner;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the schema migrations of a MySQL or MariaDB database, safely from several processes at once.
 *
 * <h2>Why a named lock around the runner</h2>
 *
 * <p>The core {@link MigrationRunner} makes a run safe by doing it in one transaction that starts
 * by taking the database's write lock. That holds where DDL is transactional. MySQL and MariaDB
 * commit implicitly before and after every {@code CREATE TABLE}, so a transaction cannot hold
 * anything across a migration. Instead, the whole run happens while this connection holds a
 * <em>named lock</em> ({@code GET_LOCK}), named after the database, which a second process opening
 * the same database waits for; once it gets the lock, it reads the history the first one wrote and
 * finds nothing to do. The lock is a session lock: the server releases it if the process dies, so
 * a crash during a migration never blocks the next start. The runner's own {@code START
 * TRANSACTION}/{@code COMMIT} still frame the history insert of each run.
 *
 * <p>What the lock cannot give is atomicity: a migration that fails half-way leaves the tables it
 * created. Evento's scripts are idempotent ({@code IF NOT EXISTS}, upserts), so the next start,
 * finding the migration unrecorded, simply completes it.
 */
final class MysqlMigrations {
    private static final Logger LOG = LoggerFactory.getLogger(MysqlMigrations.class);

    /** The class-path folder holding the migration scripts. */
    static final String LOCATION = "db/evento/mysql";

    /** The migration scripts in {@link #LOCATION}, in version order. */
    static final List<String> FILES = List.of(
            "V1__create_event_store.sql",
            "V2__subscriber_pause_and_parked_events.sql",
            "V3__position_zero_until_positioned.sql",
            "V4__position_is_the_insert_order.sql");

    /** The table recording the applied migrations. */
    static final String HISTORY_TABLE = "evento_schema_history";

    /** The named lock of a database: a fixed prefix and a digest of its name, within the 64-character limit. */
    static final String LOCK_NAME = "CONCAT('evento.migrate.', MD5(DATABASE()))";

    private MysqlMigrations() {}

    /** The migrations of this release, read from this module's resources. */
    static List<Migration> migrations() {
        return FILES.stream()
                .map(file -> Migration.of(file, read("/" + LOCATION + "/" + file)))
                .toList();
    }

    /** The runner of the migrations. */
    static MigrationRunner runner(Clock clock) {
        return new MigrationRunner(HISTORY_TABLE, List.of("START TRANSACTION"), migrations(), clock);
    }

    /**
     * Applies the pending migrations, holding the database's migration lock.
     *
     * @param c a connection in auto-commit mode to the database
     * @param clock the clock for the history's {@code installed_at}
     * @param lockTimeout how long to wait for another process's migration
     * @return the migrations applied
     * @throws StoreException if the URL names no database or the lock was not granted in time
     */
    static List<Migration> migrate(Connection c, Clock clock, Duration lockTimeout) throws SQLException {
        try (PreparedStatement select = c.prepareStatement("SELECT DATABASE()");
                ResultSet rs = select.executeQuery()) {
            if (!rs.next() || rs.getString(1) == null) {
                throw new StoreException(
                        "the connection has no default database: name one in the JDBC URL"
                                + " (jdbc:mariadb://host:3306/database)",
                        null,
                        false);
            }
        }
        Integer granted;
        try (PreparedStatement lock = c.prepareStatement("SELECT GET_LOCK(" + LOCK_NAME + ", ?)")) {
            lock.setLong(1, Math.max(0, lockTimeout.toSeconds()));
            try (ResultSet rs = lock.executeQuery()) {
                rs.next();
                granted = rs.getObject(1) == null ? null : rs.getInt(1);
            }
        }
        if (granted == null || granted != 1) {
            throw new StoreException(
                    "another process held the schema migration lock for longer than " + lockTimeout
                            + " (GET_LOCK returned " + granted + ")",
                    null,
                    true);
        }
        try {
            return runner(clock).migrate(c);
        } finally {
            try (PreparedStatement release = c.prepareStatement("DO RELEASE_LOCK(" + LOCK_NAME + ")")) {
                release.execute();
            } catch (SQLException e) {
                // The session ends with the connection anyway, and with it the lock.
                LOG.debug("Releasing the migration lock failed", e);
            }
        }
    }

    private static String read(String resource) {
        try (InputStream in = MysqlMigrations.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("migration resource " + resource + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read migration resource " + resource, e);
        }
    }
}
