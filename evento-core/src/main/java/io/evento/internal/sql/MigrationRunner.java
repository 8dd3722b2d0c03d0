package io.evento.internal.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies pending {@link Migration}s to a database and records them in a schema-history table.
 *
 * <h2>Why it is safe to run from every process at start-up</h2>
 *
 * <p>Every process that opens a store runs the runner, possibly at the same moment as another. So
 * the whole run is one transaction that starts with a statement taking the database's write lock
 * (SQLite's {@code BEGIN IMMEDIATE}; an advisory lock elsewhere). Only inside that lock are the
 * applied versions read, so the second process waits, then finds everything applied and does
 * nothing. Schema changes are transactional in the databases this is meant for (SQLite,
 * PostgreSQL): a failing migration leaves neither its changes nor its history row behind.
 *
 * <h2>What it refuses</h2>
 *
 * <ul>
 *   <li>a migration whose script changed after it was applied (checksum mismatch): the database
 *       may not match what the code expects;
 *   <li>a database with versions this release does not know, typically migrated by a newer release;
 *   <li>a pending migration older than the newest applied one (out of order).
 * </ul>
 *
 * <p>Each is an {@link IllegalStateException} naming the migration; nothing is changed. The
 * history table holds {@code version, description, checksum, installed_at} (microseconds since the
 * epoch). The runner is free of dialect specifics apart from the statements that open the
 * transaction, which the caller passes. The connection must be in auto-commit mode: the runner
 * issues {@code COMMIT} or {@code ROLLBACK} itself.
 *
 * <p>Internal: not part of the API; it may change without notice.
 */
public final class MigrationRunner {
    private static final Logger LOG = LoggerFactory.getLogger(MigrationRunner.class);
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    private final String historyTable;
    private final List<String> beginStatements;
    private final List<Migration> migrations;
    private final Clock clock;

    /**
     * Creates a runner.
     *
     * @param historyTable the name of the schema-history table (a plain identifier)
     * @param beginStatements the statements that open a transaction holding the database's write
     *     lock, for SQLite {@code BEGIN IMMEDIATE}
     * @param migrations the migrations, with distinct versions in any order
     * @param clock the clock for {@code installed_at}
     */
    public MigrationRunner(String historyTable, List<String> beginStatements, List<Migration> migrations, Clock clock) {
        if (!IDENTIFIER
                .matcher(Objects.requireNonNull(historyTable, "historyTable"))
                .matches()) {
            throw new IllegalArgumentException(
                    "history table must be a plain SQL identifier, was '" + historyTable + "'");
        }
        if (beginStatements.isEmpty()) {
            throw new IllegalArgumentException("at least one statement must open the migration transaction");
        }
        Map<Integer, Migration> byVersion = new TreeMap<>();
        for (Migration m : migrations) {
            Migration previous = byVersion.put(m.version(), m);
            if (previous != null) {
                throw new IllegalArgumentException(
                        "two migrations have version " + m.version() + ": " + previous + " and " + m);
            }
        }
        this.historyTable = historyTable;
        this.beginStatements = List.copyOf(beginStatements);
        this.migrations = List.copyOf(byVersion.values());
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Applies the pending migrations in one transaction, after checking the applied ones.
     *
     * @param connection a connection in auto-commit mode
     * @return the migrations applied by this call, empty if the schema was up to date
     * @throws SQLException if the database fails; nothing was applied
     * @throws IllegalStateException if the history conflicts with the migrations; nothing was
     *     applied
     */
    public List<Migration> migrate(Connection connection) throws SQLException {
        if (!connection.getAutoCommit()) {
            throw new IllegalArgumentException(
                    "the migration runner manages its own transaction; " + "pass a connection in auto-commit mode");
        }
        try (Statement statement = connection.createStatement()) {
            for (String begin : beginStatements) {
                statement.execute(begin);
            }
            boolean committed = false;
            try {
                statement.execute("CREATE TABLE IF NOT EXISTS " + historyTable + " (version INTEGER PRIMARY KEY,"
                        + " description VARCHAR(200) NOT NULL, checksum VARCHAR(64) NOT NULL,"
                        + " installed_at BIGINT NOT NULL)");
                List<Migration> pending = pending(applied(statement));
                for (Migration m : pending) {
                    apply(connection, statement, m);
                }
                statement.execute("COMMIT");
                committed = true;
                return pending;
            } finally {
                if (!committed) {
                    rollbackQuietly(statement);
                }
            }
        }
    }

    /**
     * The migrations known to this runner, in version order.
     *
     * @return the migrations
     */
    public List<Migration> migrations() {
        return migrations;
    }

    private Map<Integer, String> applied(Statement statement) throws SQLException {
        Map<Integer, String> applied = new TreeMap<>();
        try (ResultSet rs = statement.executeQuery("SELECT version, checksum FROM " + historyTable)) {
            while (rs.next()) {
                applied.put(rs.getInt(1), rs.getString(2));
            }
        }
        return applied;
    }

    private List<Migration> pending(Map<Integer, String> applied) {
        Map<Integer, Migration> known = new TreeMap<>();
        migrations.forEach(m -> known.put(m.version(), m));
        int newestKnown = migrations.isEmpty() ? 0 : migrations.getLast().version();
        int newestApplied = 0;
        for (Map.Entry<Integer, String> row : applied.entrySet()) {
            int version = row.getKey();
            newestApplied = Math.max(newestApplied, version);
            Migration m = known.get(version);
            if (m == null) {
                throw new IllegalStateException(
                        version > newestKnown
                                ? "the database has schema version " + version
                                        + " applied, probably by a newer release;"
                                        + " this release knows versions up to " + newestKnown + ": upgrade it"
                                : "the database has schema version " + version
                                        + " applied, which this release does not know");
            }
            if (!m.checksum().equals(row.getValue())) {
                throw new IllegalStateException("migration " + m + " was changed after it was applied to this database:"
                        + " checksum " + row.getValue() + " recorded in " + historyTable + ", " + m.checksum()
                        + " now; restore the original script (or, if the change is intended and harmless,"
                        + " update the recorded checksum)");
            }
        }
        List<Migration> pending = new ArrayList<>();
        for (Migration m : migrations) {
            if (!applied.containsKey(m.version())) {
                if (m.version() < newestApplied) {
                    throw new IllegalStateException("migration " + m + " was never applied, but the database is already"
                            + " at schema version " + newestApplied + "; out-of-order migrations are not supported");
                }
                pending.add(m);
            }
        }
        return pending;
    }

    private void apply(Connection connection, Statement statement, Migration m) throws SQLException {
        for (String sql : SqlScript.statements(m.script())) {
            statement.execute(sql);
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + historyTable
                + " (version, description, checksum, installed_at) VALUES (?, ?, ?, ?)")) {
            insert.setInt(1, m.version());
            insert.setString(2, m.description());
            insert.setString(3, m.checksum());
            insert.setLong(4, ChronoUnit.MICROS.between(Instant.EPOCH, clock.instant()));
            insert.executeUpdate();
        }
        LOG.info("Applied schema migration {}", m);
    }

    private static void rollbackQuietly(Statement statement) {
        try {
            statement.execute("ROLLBACK");
        } catch (SQLException e) {
            // The transaction may already be gone (the failure ended it); the original error matters.
            LOG.debug("Rollback after a failed migration failed too", e);
        }
    }
}
