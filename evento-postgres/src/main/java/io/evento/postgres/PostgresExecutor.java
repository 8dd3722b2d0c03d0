package io.evento.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.evento.ConcurrencyException;
import io.evento.Edge;
import io.evento.InvalidCursorException;
import io.evento.LeaseLostException;
import io.evento.Limits;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.StoreException;
import io.evento.internal.Cursors;
import io.evento.internal.Pages;
import io.evento.internal.Settings;
import io.evento.internal.Validation;
import io.evento.internal.WriteBatch;
import io.evento.internal.sql.ColumnReader;
import io.evento.internal.sql.KnownAggregates;
import io.evento.internal.sql.Migration;
import io.evento.internal.sql.MigrationRunner;
import io.evento.internal.sql.ParkedRows;
import io.evento.internal.sql.SnapshotRows;
import io.evento.internal.sql.SqlQuery;
import io.evento.internal.sql.SubscriberRows;
import io.evento.internal.sql.Transactions;
import io.evento.spi.JdbcExecutor;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import io.evento.spi.SubscriberState;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGStatement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL executor: many writers at once, in one process or many, and a global order that
 * never skips an event.
 *
 * <pre>{@code
 * try (PostgresExecutor executor = PostgresExecutor.open("jdbc:postgresql://db:5432/app?user=app")) {
 *     Evento evento = Evento.builder(executor).register(Account.class).build();
 *     ...
 * }
 * }</pre>
 *
 * <h2>How it works</h2>
 *
 * <p>Every operation is one statement on a pooled connection in auto-commit mode; in particular a
 * commit of up to 1,000 events is a single {@code INSERT} (a larger one is several, in one
 * transaction), so writers take no lock but on the index entries they insert, and never wait for
 * each other unless they write to the same aggregate. An append must find the aggregate at the
 * version it expects: the unique key on {@code (aggregator_type, aggregator_id, version)} refuses a
 * version already taken, and the version before it must exist. The executor remembers the versions
 * it saw committed (by its writes and its aggregate loads, as {@code Evento} loads before it
 * commits), since events are never deleted; if it does not know the expected version, the insert
 * reads the aggregate's last event in the same statement and inserts nothing if it is not there.
 * Each event row records the id of the transaction that wrote it, and reads return events ordered
 * by {@code (transaction id, position)}, holding back those of transactions that might still be
 * preceded by one in flight. A reader paging forward therefore sees every committed event exactly
 * once, in an order that never changes, however the commits of concurrent writers interleave (see
 * the notes in the source of the event SQL for why). A transaction left open on the database holds
 * back {@link #read(io.evento.spi.ReadQuery) read}s, not writes; loading an aggregate ({@link
 * #readAggregate}, {@link #lastEvent}) always sees every committed event.
 *
 * <p>Subscription leases expire by the database's clock, which every worker shares whatever
 * machine it runs on; acknowledging is one conditional update (same worker, same token, not
 * expired), so a worker that lost its lease can never move the checkpoint. Parking an event in the
 * dead-letter store is fenced the same way, in one statement. Resetting a subscription clears its
 * lease holder, so the holder's lease matches no row any more and the next lease gets a new token.
 *
 * <h2>Transactions shared with the application</h2>
 *
 * <p>{@link #inTransaction} runs the application's work in a transaction on one of the executor's
 * connections, and {@link #acknowledge(Connection, Lease, String)} moves a checkpoint in it: a read
 * model kept in the same database is then updated exactly once per event. The checkpoint's row
 * stays locked until that transaction ends, so a reset made meanwhile waits for it and wins.
 *
 * <h2>Waking subscribers</h2>
 *
 * <p>{@link #onCommit} listeners run right after each commit of this executor, and after commits of
 * other executors on the same schema, in this process or another, through {@code LISTEN} / {@code
 * NOTIFY} on the channel {@code evento_<schema>} (shortened, with a checksum, when that exceeds
 * PostgreSQL's 63-byte limit). Commits never notify inside their own transaction
 * (PostgreSQL serialises the commits of notifying transactions): a background thread sends one
 * {@code pg_notify} for any number of commits made while the previous one was in flight or in the 5
 * ms after it, so a commit costs no extra round trip, and under load other processes learn of a
 * commit up to 5 ms later. The first write starts that thread; the first listener starts a thread
 * that listens, stopped when the last registration is closed. Both are daemon threads, stopped by
 * {@link #close()}. A notification can be missed (while the listening connection is being
 * reopened, for example), so subscribers still poll, less often.
 *
 * <h2>Connections</h2>
 *
 * <p>Given a {@linkplain Builder#jdbcUrl(String) JDBC URL}, the executor creates a HikariCP pool of
 * at most {@linkplain Builder#maximumPoolSize(int) maximumPoolSize} connections, and closes it on
 * {@link #close()}; the two wake-up threads open a connection each from the same URL, outside the
 * pool. Given a {@linkplain Builder#dataSource(DataSource) data source}, it borrows connections from
 * it and leaves closing it to the caller; while {@linkplain #onCommit commit listeners} are
 * registered, one of its connections is held by the listening thread, and each notification
 * borrows one briefly. Connections must reach a PostgreSQL 13
 * or newer server ({@code xid8} and {@code pg_current_xact_id()}).
 *
 * <h2>Schema and migrations</h2>
 *
 * <p>All tables live in one {@linkplain Builder#schema(String) schema}, {@code public} unless set:
 * {@code evento_event}, {@code evento_subscriber}, {@code evento_parked} (the dead-letter store),
 * {@code evento_snapshot}, {@code evento_meta} and the migration history {@code
 * evento_schema_history}. Opening creates the schema if it is missing
 * and applies pending migrations, in one transaction holding an advisory lock (so processes may
 * start at the same moment); a migration that changed after it was applied, or a schema migrated by
 * a newer release, is refused with a {@link StoreException}.
 *
 * <p>The migration scripts are plain SQL resources named like Flyway's versioned migrations, in
 * the folder {@value #MIGRATIONS_LOCATION} of this module's jar, with unqualified table names. To
 * manage the schema with Flyway instead, add the location {@code classpath:db/evento/postgres} and
 * make the store's schema Flyway's default schema; the scripts are idempotent, so an executor
 * opening a schema migrated that way finds its tables and only records its own history.
 *
 * <h2>Errors</h2>
 *
 * <p>Database failures are {@link StoreException}s, classified by SQLSTATE: transient for
 * connection failures (class {@code 08}), server shutdown or start-up ({@code 57P01}, {@code
 * 57P02}, {@code 57P03}), insufficient resources (class {@code 53}), serialization failures and
 * deadlocks ({@code 40001}, {@code 40P01}); permanent otherwise. A conflicting write is a {@link
 * ConcurrencyException}, detected from the unique key {@code (aggregator_type, aggregator_id,
 * version)} (SQLSTATE {@code 23505}) or from the version check of the insert. After {@link
 * #close()} every call throws a {@link StoreException}.
 *
 * <p>Instances are thread-safe; every method blocks and may be called from virtual threads.
 */
public final class PostgresExecutor implements JdbcExecutor {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresExecutor.class);

    /** The class-path folder holding the migration scripts. */
    public static final String MIGRATIONS_LOCATION = "db/evento/postgres";

    /** The migration scripts in {@link #MIGRATIONS_LOCATION}, in version order. */
    static final List<String> MIGRATION_FILES =
            List.of("V1__create_event_store.sql", "V2__subscriber_control_and_parked_events.sql");

    /** The table recording the applied migrations. */
    static final String SCHEMA_HISTORY_TABLE = "evento_schema_history";

    /**
     * The first key of the advisory lock held while migrating; the second is derived from the
     * schema name, so stores in different schemas migrate independently. ("EVNT" in ASCII.)
     */
    static final int MIGRATION_LOCK_KEY = 0x45564E54;

    /** A lease longer than this is shortened to it: about 100 years, so expiry times stay exact. */
    private static final long MAX_TTL_MICROS = 100L * 366 * 24 * 3600 * 1_000_000;

    /** Times are {@code timestamptz}, read as an offset date-time. */
    private static final ColumnReader COLUMNS =
            (rs, column) -> rs.getObject(column, OffsetDateTime.class).toInstant();

    private static final AtomicInteger POOLS = new AtomicInteger();

    /** Aggregates whose committed version this executor remembers, to append with a plain insert. */
    private static final int KNOWN_AGGREGATES = 100_000;

    private final DataSource dataSource;
    private final HikariDataSource ownedPool;
    private final String schema;
    private final String storeId;
    private final EventTable sql;
    private final CommitNotifications notifications;
    private final KnownAggregates knownAggregates = new KnownAggregates(KNOWN_AGGREGATES);
    private final String acquireLease;
    private final String releaseLease;
    private final String acknowledge;
    private final String selectSubscriber;
    private final String resetSubscriber;
    private final String pauseSubscriber;
    private final String park;
    private final String selectParked;
    private final String unpark;
    private final String selectSnapshot;
    private final String upsertSnapshot;
    private volatile boolean closed;

    private PostgresExecutor(
            DataSource dataSource, HikariDataSource ownedPool, String jdbcUrl, String schema, String storeId) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.schema = schema;
        this.storeId = storeId;
        this.sql = new EventTable(schema);
        this.notifications = new CommitNotifications(
                schema, jdbcUrl != null ? new DriverConnections(jdbcUrl) : new BorrowedConnections(dataSource));
        String subscriber = "\"" + schema + "\".evento_subscriber";
        String parked = "\"" + schema + "\".evento_parked";
        String snapshot = "\"" + schema + "\".evento_snapshot";
        // One statement decides and records: a new key gets token 1; the holder keeps its token;
        // another worker takes an expired or revoked lease with the next token; an unexpired lease
        // of another worker, or a paused key, is left alone and nothing is returned. After a reset
        // worker_id is NULL, and NULL = anything is never true: even the previous holder counts as
        // another worker and gets the next token.
        this.acquireLease =
                "INSERT INTO " + subscriber + " AS s (key, worker_id, token, expires_at, cursor, updated_at)"
                        + " VALUES (?, ?, 1, clock_timestamp() + ? * interval '1 microsecond', NULL, clock_timestamp())"
                        + " ON CONFLICT (key) DO UPDATE SET"
                        + " token = CASE WHEN s.worker_id = EXCLUDED.worker_id THEN s.token ELSE s.token + 1 END,"
                        + " worker_id = EXCLUDED.worker_id, expires_at = EXCLUDED.expires_at, updated_at = EXCLUDED.updated_at"
                        + " WHERE NOT s.paused AND (s.worker_id = EXCLUDED.worker_id OR s.expires_at <= EXCLUDED.updated_at)"
                        + " RETURNING token, expires_at";
        // Releasing expires the lease but keeps owner and token, so the next owner's token is
        // larger than any before it.
        this.releaseLease = "UPDATE " + subscriber + " SET expires_at = 'epoch', updated_at = clock_timestamp()"
                + " WHERE key = ? AND worker_id = ? AND token = ? AND expires_at > clock_timestamp()";
        // The update locks the row until the transaction ends, so in a transaction of
        // inTransaction a concurrent reset waits for it and then overrides its checkpoint.
        this.acknowledge = "UPDATE " + subscriber + " SET cursor = ?, updated_at = clock_timestamp()"
                + " WHERE key = ? AND worker_id = ? AND token = ? AND expires_at > clock_timestamp()";
        this.selectSubscriber =
                "SELECT cursor, worker_id, token, expires_at, paused FROM " + subscriber + " WHERE key = ?";
        // A new key starts with token 0, so whoever takes it first gets token 1, as from
        // acquireLease. The token is kept, and worker_id cleared, so that the next taker's token is
        // larger than that of the revoked lease.
        this.resetSubscriber = "INSERT INTO " + subscriber
                + " AS s (key, worker_id, token, expires_at, cursor, updated_at)"
                + " VALUES (?, NULL, 0, 'epoch', ?, clock_timestamp())"
                + " ON CONFLICT (key) DO UPDATE SET worker_id = NULL, expires_at = 'epoch',"
                + " cursor = EXCLUDED.cursor, updated_at = EXCLUDED.updated_at";
        this.pauseSubscriber = "INSERT INTO " + subscriber
                + " AS s (key, worker_id, token, expires_at, cursor, updated_at, paused)"
                + " VALUES (?, NULL, 0, 'epoch', NULL, clock_timestamp(), ?)"
                + " ON CONFLICT (key) DO UPDATE SET paused = EXCLUDED.paused, updated_at = EXCLUDED.updated_at";
        // Fenced like acknowledge, in one statement: the entry is written only if the lease row
        // matches. FOR SHARE makes a concurrent reset or takeover wait for this transaction (and
        // re-checks the row if one committed meanwhile), as acknowledge's row lock does.
        this.park = "WITH holder AS (SELECT 1 FROM " + subscriber
                + " WHERE key = ? AND worker_id = ? AND token = ? AND expires_at > clock_timestamp() FOR SHARE)"
                + " INSERT INTO " + parked
                + " AS p (key, event_id, aggregator_type, aggregator_id, version, error, attempts, parked_at)"
                + " SELECT ?, ?, ?, ?, ?, ?, ?, ? FROM holder"
                + " ON CONFLICT (key, event_id) DO UPDATE SET aggregator_type = EXCLUDED.aggregator_type,"
                + " aggregator_id = EXCLUDED.aggregator_id, version = EXCLUDED.version, error = EXCLUDED.error,"
                + " attempts = EXCLUDED.attempts, parked_at = EXCLUDED.parked_at";
        this.selectParked = "SELECT event_id, aggregator_type, aggregator_id, version, error, attempts, parked_at"
                + " FROM " + parked + " WHERE key = ? ORDER BY seq LIMIT ?";
        this.unpark = "DELETE FROM " + parked + " WHERE key = ? AND event_id = ?";
        this.selectSnapshot = "SELECT revision, version, data, timestamp_micros FROM " + snapshot
                + " WHERE projection = ? AND aggregator_type = ? AND aggregator_id = ?";
        this.upsertSnapshot = "INSERT INTO " + snapshot
                + " (projection, aggregator_type, aggregator_id, revision, version, data, timestamp_micros)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (projection, aggregator_type, aggregator_id)"
                + " DO UPDATE SET revision = EXCLUDED.revision, version = EXCLUDED.version,"
                + " data = EXCLUDED.data, timestamp_micros = EXCLUDED.timestamp_micros";
    }

    /**
     * Opens the store of a database with the default settings: a pool of connections to {@code
     * jdbcUrl}, tables in the schema {@code public}, created or migrated if needed.
     *
     * @param jdbcUrl a PostgreSQL JDBC URL, like {@code jdbc:postgresql://host:5432/db?user=app}
     * @return the executor
     * @throws StoreException if the database cannot be reached or migrated
     */
    public static PostgresExecutor open(String jdbcUrl) {
        return builder().jdbcUrl(jdbcUrl).open();
    }

    /**
     * A builder to open a store with other settings.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Settings of a {@link PostgresExecutor}. Either a JDBC URL or a data source must be set; each
     * setting may be set once, and a bad value is refused at once.
     *
     * <pre>{@code
     * PostgresExecutor executor = PostgresExecutor.builder()
     *         .jdbcUrl("jdbc:postgresql://db:5432/app?user=app")
     *         .schema("billing")
     *         .maximumPoolSize(16)
     *         .open();
     * }</pre>
     */
    public static final class Builder {
        /** The schema unless set. */
        public static final String DEFAULT_SCHEMA = "public";

        /** The pool size unless set, for a pool created from a JDBC URL. */
        public static final int DEFAULT_MAXIMUM_POOL_SIZE = 10;

        /** The largest pool size accepted. */
        public static final int MAX_POOL_SIZE = 1_000;

        /** How long a call waits for a pooled connection unless set, for a pool created from a JDBC URL. */
        public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(30);

        /** The shortest connection timeout accepted (HikariCP's minimum). */
        public static final Duration MIN_CONNECTION_TIMEOUT = Duration.ofMillis(250);

        private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
        private static final Pattern PASSWORD = Pattern.compile("(?i)(password=)[^&;]*");

        private String jdbcUrl;
        private DataSource dataSource;
        private String schema;
        private int maximumPoolSize;
        private Duration connectionTimeout;

        private Builder() {}

        /**
         * Connect through a HikariCP pool created for this URL, and closed with the executor. The
         * URL may carry any setting of the PostgreSQL driver ({@code user}, {@code password}, {@code
         * ssl}, ...).
         *
         * @param jdbcUrl a URL starting with {@code jdbc:postgresql:}
         * @return this builder
         * @throws IllegalArgumentException if it is not a PostgreSQL JDBC URL
         * @throws IllegalStateException if a URL or a data source was already set
         */
        public Builder jdbcUrl(String jdbcUrl) {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            requireNoConnectionSetting();
            if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException(
                        "the JDBC URL must start with jdbc:postgresql:, was '" + redact(jdbcUrl) + "'");
            }
            this.jdbcUrl = jdbcUrl;
            return this;
        }

        /**
         * Borrow connections from this data source, for example the application's own pool. The
         * executor does not close it. Its connections are used in auto-commit mode: one handed out
         * with auto-commit off is switched on for the call and back off afterwards. While {@link
         * PostgresExecutor#onCommit commit listeners} are registered, one connection is held for
         * listening to other processes' commits: size the pool for it.
         *
         * @param dataSource a data source of PostgreSQL connections
         * @return this builder
         * @throws IllegalStateException if a URL or a data source was already set
         */
        public Builder dataSource(DataSource dataSource) {
            Objects.requireNonNull(dataSource, "dataSource");
            requireNoConnectionSetting();
            this.dataSource = dataSource;
            return this;
        }

        /**
         * The schema holding the store's tables, {@value #DEFAULT_SCHEMA} unless set; created when
         * the store is opened if it does not exist. One schema holds one store.
         *
         * @param schema a plain lower-case SQL identifier: a letter or {@code _}, then letters,
         *     digits or {@code _}, at most 63 characters
         * @return this builder
         * @throws IllegalArgumentException if it is not such an identifier
         * @throws IllegalStateException if already set
         */
        public Builder schema(String schema) {
            Objects.requireNonNull(schema, "schema");
            Settings.requireUnset("schema", this.schema);
            if (!SCHEMA.matcher(schema).matches()) {
                throw new IllegalArgumentException("schema must be a plain lower-case SQL identifier"
                        + " ([a-z_][a-z0-9_]*, at most 63 characters), was '" + schema + "'");
            }
            this.schema = schema;
            return this;
        }

        /**
         * The most connections the pool created from the {@linkplain #jdbcUrl(String) JDBC URL}
         * holds, so the most calls running at once; {@value #DEFAULT_MAXIMUM_POOL_SIZE} unless set.
         * Not applicable with a {@linkplain #dataSource(DataSource) data source}.
         *
         * @param size from 1 to {@value #MAX_POOL_SIZE}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if already set
         */
        public Builder maximumPoolSize(int size) {
            Settings.requireUnset("maximum pool size", this.maximumPoolSize);
            this.maximumPoolSize = Settings.requireBetween("maximum pool size", size, 1, MAX_POOL_SIZE);
            return this;
        }

        /**
         * How long a call waits for a connection of the pool created from the {@linkplain
         * #jdbcUrl(String) JDBC URL} before failing with a transient {@link StoreException}; 30
         * seconds unless set. Not applicable with a {@linkplain #dataSource(DataSource) data
         * source}.
         *
         * @param timeout at least 250 ms
         * @return this builder
         * @throws IllegalArgumentException if shorter
         * @throws IllegalStateException if already set
         */
        public Builder connectionTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            Settings.requireUnset("connection timeout", this.connectionTimeout);
            this.connectionTimeout = Settings.requireAtLeast("connection timeout", timeout, MIN_CONNECTION_TIMEOUT);
            return this;
        }

        /**
         * Opens the store: connects, creates the schema if missing and applies pending migrations.
         *
         * @return the executor
         * @throws IllegalStateException if neither a JDBC URL nor a data source was set, or a pool
         *     setting was given with a data source
         * @throws StoreException if the database cannot be reached or migrated; transient if a
         *     retry later may succeed (the server is down, for example)
         */
        public PostgresExecutor open() {
            if (jdbcUrl == null && dataSource == null) {
                throw new IllegalStateException("set a JDBC URL or a data source before opening");
            }
            if (dataSource != null && maximumPoolSize != 0) {
                throw new IllegalStateException("maximum pool size (" + maximumPoolSize
                        + ") applies to the pool created from a JDBC URL, not to a data source");
            }
            if (dataSource != null && connectionTimeout != null) {
                throw new IllegalStateException("connection timeout (" + connectionTimeout
                        + ") applies to the pool created from a JDBC URL, not to a data source");
            }
            String s = schema == null ? DEFAULT_SCHEMA : schema;
            if (dataSource != null) {
                return PostgresExecutor.open(dataSource, null, null, s, "data source " + dataSource);
            }
            HikariDataSource pool = createPool(
                    jdbcUrl,
                    s,
                    maximumPoolSize == 0 ? DEFAULT_MAXIMUM_POOL_SIZE : maximumPoolSize,
                    connectionTimeout == null ? DEFAULT_CONNECTION_TIMEOUT : connectionTimeout);
            return PostgresExecutor.open(pool, pool, jdbcUrl, s, redact(jdbcUrl));
        }

        private void requireNoConnectionSetting() {
            if (jdbcUrl != null) {
                throw new IllegalStateException("a JDBC URL was already set (" + redact(jdbcUrl)
                        + "); set either one JDBC URL or one data source");
            }
            if (dataSource != null) {
                throw new IllegalStateException("a data source was already set (" + dataSource
                        + "); set either one JDBC URL or one data source");
            }
        }

        /** The URL without the value of its password parameter, for messages. */
        static String redact(String jdbcUrl) {
            return PASSWORD.matcher(jdbcUrl).replaceAll("$1***");
        }
    }

    private static HikariDataSource createPool(String jdbcUrl, String schema, int size, Duration connectionTimeout) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("evento-postgres-" + POOLS.incrementAndGet() + "-" + schema);
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(size);
        config.setConnectionTimeout(connectionTimeout.toMillis());
        config.setAutoCommit(true);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            // HikariCP reports a failed first connection as its PoolInitializationException.
            for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
                if (t instanceof SQLException q) {
                    throw PostgresErrors.failure("connecting to " + Builder.redact(jdbcUrl), q);
                }
            }
            throw new StoreException(
                    "connecting to " + Builder.redact(jdbcUrl) + " failed: " + e.getMessage(), e, false);
        }
    }

    private static PostgresExecutor open(
            DataSource dataSource, HikariDataSource ownedPool, String jdbcUrl, String schema, String from) {
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            if (!autoCommit) {
                connection.setAutoCommit(true);
            }
            try {
                MigrationRunner runner = migrationRunner(schema);
                // An up-to-date schema is opened without the migration transaction, which writes
                // (schema creation, advisory lock): that is what lets a hot standby be opened as the
                // read side of an Rw executor.
                List<Migration> applied =
                        isUpToDate(connection, schema, runner) ? List.of() : runner.migrate(connection);
                String storeId = readStoreId(connection, schema);
                LOG.debug(
                        "Opened PostgreSQL store {} in schema {} of {} ({} migrations applied)",
                        storeId,
                        schema,
                        from,
                        applied.size());
                return new PostgresExecutor(dataSource, ownedPool, jdbcUrl, schema, storeId);
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
                Migration.load(PostgresExecutor.class, MIGRATIONS_LOCATION, MIGRATION_FILES),
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

    @Override
    public void write(List<StoredEvent> events) {
        int expected = WriteBatch.expectedVersion(events);
        StoredEvent first = events.getFirst();
        String type = first.aggregatorType();
        String id = first.aggregatorId();
        run("writing events to " + type + "/" + id, c -> {
            boolean written;
            try {
                if (events.size() <= EventTable.MAX_ROWS_PER_INSERT) {
                    written = insert(c, events, expected);
                } else {
                    written = insertInChunks(c, events, expected);
                }
            } catch (SQLException e) {
                if (PostgresErrors.isUniqueViolation(e)) {
                    throw new ConcurrencyException(type, id, expected, e);
                }
                throw e;
            }
            if (!written) {
                throw new ConcurrencyException(type, id, expected, null);
            }
            return null;
        });
        knownRoutingKey(first, expected)
                .ifPresent(key -> knownAggregates.record(type, id, expected + events.size(), key));
        // After run() returned: the transaction committed and the connection is back in the pool,
        // so listeners that read at once find the events and a free connection.
        notifications.committed();
    }

    /**
     * Inserts events that follow version {@code after} in one statement; {@code false} if nothing
     * was inserted because the aggregate's last committed event is not at version {@code after}
     * (it is behind or ahead of the commit's expectation). If a concurrent transaction writes the
     * next version first, the statement waits for it and then violates the unique key ({@code
     * 23505}). Runs in the connection's transaction: the write path's own in auto-commit mode, a
     * test's open one to hold a write uncommitted.
     */
    boolean insert(Connection c, List<StoredEvent> rows, int after) throws SQLException {
        Optional<Optional<String>> known = knownRoutingKey(rows.getFirst(), after);
        if (known.isPresent()) {
            // Version `after` is committed (or there is none to check): the unique key is the only
            // check left, so a plain insert will do.
            try (PreparedStatement insert = c.prepareStatement(sql.create(rows.size()))) {
                EventTable.bindCreate(insert, rows, known.get());
                insert.executeUpdate();
                return true;
            }
        }
        try (PreparedStatement insert = c.prepareStatement(sql.append(rows.size()))) {
            EventTable.bindAppend(insert, rows, after);
            return insert.executeUpdate() > 0;
        }
    }

    /**
     * The routing key the events after version {@code after} of {@code first}'s aggregate get, if
     * version {@code after} is known committed: the first event's own for a new aggregate, else the
     * one this executor saw (see {@link KnownAggregates}).
     */
    private Optional<Optional<String>> knownRoutingKey(StoredEvent first, int after) {
        return after == 0
                ? Optional.of(first.routingKey())
                : knownAggregates.routingKeyIfAtVersion(first.aggregatorType(), first.aggregatorId(), after);
    }

    /** Inserts a commit too large for one statement in several, in one transaction. */
    private boolean insertInChunks(Connection c, List<StoredEvent> events, int expected) throws SQLException {
        return Transactions.inOwnTransaction(c, tx -> {
            for (int from = 0; from < events.size(); from += EventTable.MAX_ROWS_PER_INSERT) {
                int to = Math.min(events.size(), from + EventTable.MAX_ROWS_PER_INSERT);
                // Each chunk after the first follows the previous one, just written in this transaction.
                if (!insert(tx, events.subList(from, to), expected + from)) {
                    // Nothing left to commit: the commit that follows does nothing.
                    tx.rollback();
                    return false;
                }
            }
            return true;
        });
    }

    @Override
    public Page<StoredEvent> read(ReadQuery query) {
        Objects.requireNonNull(query, "query");
        ensureOpen();
        PageRequest page = query.page();
        EventTable.OrderKey bound = page.cursor().map(this::decodeCursor).orElse(null);
        int fetch = Pages.fetchSize(page);
        SqlQuery q = sql.page(query.filters(), query.routing(), page.isForward(), bound, fetch);
        List<Edge<StoredEvent>> fetched = run("reading events", c -> {
            try (PreparedStatement statement = c.prepareStatement(PAGE_PLAN + q.sql() + PAGE_PLAN_RESET)) {
                binaryRows(c, statement);
                q.bind(statement);
                List<Edge<StoredEvent>> rows = new ArrayList<>(Math.min(fetch, 256));
                // The first results are the settings'; the page is the first result set.
                boolean isResultSet = statement.execute();
                while (!isResultSet && statement.getUpdateCount() != -1) {
                    isResultSet = statement.getMoreResults();
                }
                try (ResultSet rs = statement.getResultSet()) {
                    while (rs.next()) {
                        EventTable.OrderKey key = EventTable.orderKey(rs);
                        rows.add(Edge.lazy(
                                EventTable.pageEvent(rs), () -> Cursors.encode(storeId, key.txid(), key.position())));
                    }
                }
                return rows;
            }
        });
        return Pages.fromFetched(page, fetched);
    }

    /**
     * Sent with every page query, in the same round trip and the same (implicit) transaction; both
     * settings end with it: {@link #PAGE_PLAN_RESET} follows the page, and if the page fails, the
     * implicit transaction rolls the settings back. ({@code SET LOCAL} would do the same with less,
     * but outside an explicit transaction block the server logs a warning for it on every run; and
     * a {@code SELECT set_config(..)} before the page makes the driver send the page's binary
     * result formats for the settings' row.)
     *
     * <p>A page must stream from an index in order, and stop at the limit. On a table without
     * statistics yet (a store just filled by an import, before autovacuum analyzes it) the planner
     * takes the aggregate-type filter for rare, reads every remaining match through a bitmap scan
     * and sorts them for each page, which makes a catch-up quadratic in the log's size (measured: 52
     * ms instead of 0.9 ms per page of 1,000 over 100k events). Bitmap scans never serve a page
     * well, so they are off for it.
     *
     * <p>The page is planned for the values it is run with, every time: after a few runs the server
     * would otherwise switch a prepared statement to a generic plan, made for the average value,
     * which for a filter on a rare aggregate type may walk the whole {@code (txid, position)} index
     * and discard nearly every row where a plan for the actual type reads just the page from the
     * type's index. Planning costs a fraction of a millisecond.
     */
    static final String PAGE_PLAN = "SET enable_bitmapscan = off; SET plan_cache_mode = force_custom_plan; ";

    /** Sent after every page query: the session's own settings back. */
    static final String PAGE_PLAN_RESET = "; RESET enable_bitmapscan; RESET plan_cache_mode";

    /**
     * Has the driver prepare the page statement on the server from its first run, which makes it
     * receive rows in the binary format: payloads arrive as raw bytes instead of hex text, half the
     * bytes on the wire and no hex decoding (the hottest frame of a catch-up's profile before). The
     * plan is still made for each run's values ({@link #PAGE_PLAN}). A connection configured never
     * to prepare on the server ({@code prepareThreshold=0}, as behind a transaction-pooling proxy)
     * keeps its setting.
     */
    private static void binaryRows(Connection c, PreparedStatement statement) throws SQLException {
        if (statement.isWrapperFor(PGStatement.class)
                && c.isWrapperFor(PGConnection.class)
                && c.unwrap(PGConnection.class).getPrepareThreshold() > 0) {
            statement.unwrap(PGStatement.class).setPrepareThreshold(-1);
        }
    }

    private EventTable.OrderKey decodeCursor(String cursor) {
        long[] key = Cursors.decode(storeId, cursor, 2);
        if (key[0] < 0 || key[1] < 0) {
            throw new InvalidCursorException("invalid cursor '" + cursor + "': negative order key");
        }
        return new EventTable.OrderKey(key[0], key[1]);
    }

    @Override
    public List<StoredEvent> readAggregate(String aggregatorType, String aggregatorId, int afterVersion, int limit) {
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        Validation.limit("limit", limit, Limits.PAGE_MAX_SIZE);
        return run("reading aggregate " + aggregatorType + "/" + aggregatorId, c -> {
            try (PreparedStatement statement = c.prepareStatement(sql.readAggregate())) {
                statement.setString(1, aggregatorType);
                statement.setString(2, aggregatorId);
                statement.setInt(3, afterVersion);
                statement.setInt(4, limit);
                List<StoredEvent> events = new ArrayList<>(Math.min(limit, 256));
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        events.add(EventTable.event(rs, 1));
                    }
                }
                if (!events.isEmpty()) {
                    StoredEvent last = events.getLast();
                    knownAggregates.record(aggregatorType, aggregatorId, last.version(), last.routingKey());
                }
                return List.copyOf(events);
            }
        });
    }

    @Override
    public Optional<StoredEvent> lastEvent(String aggregatorType, String aggregatorId) {
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        return run("reading the last event of " + aggregatorType + "/" + aggregatorId, c -> {
            try (PreparedStatement statement = c.prepareStatement(sql.lastEvent())) {
                statement.setString(1, aggregatorType);
                statement.setString(2, aggregatorId);
                try (ResultSet rs = statement.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<StoredEvent>empty();
                    }
                    StoredEvent last = EventTable.event(rs, 1);
                    knownAggregates.record(aggregatorType, aggregatorId, last.version(), last.routingKey());
                    return Optional.of(last);
                }
            }
        });
    }

    @Override
    public Optional<Lease> acquireLease(String key, String workerId, Duration ttl) {
        Validation.name("key", key);
        Validation.id("workerId", workerId);
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("lease ttl must be positive, was " + ttl);
        }
        long ttlMicros = ceilMicros(ttl);
        return run("acquiring the lease of subscription " + key, c -> {
            try (PreparedStatement acquire = c.prepareStatement(acquireLease)) {
                acquire.setString(1, key);
                acquire.setString(2, workerId);
                acquire.setLong(3, ttlMicros);
                try (ResultSet rs = acquire.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<Lease>empty();
                    }
                    long token = rs.getLong(1);
                    OffsetDateTime expiresAt = rs.getObject(2, OffsetDateTime.class);
                    return Optional.of(new Lease(key, workerId, token, expiresAt.toInstant()));
                }
            }
        });
    }

    @Override
    public void releaseLease(Lease lease) {
        Objects.requireNonNull(lease, "lease");
        run("releasing the lease of subscription " + lease.key(), c -> {
            try (PreparedStatement release = c.prepareStatement(releaseLease)) {
                SubscriberRows.bindLease(release, 1, lease);
                release.executeUpdate();
                return null;
            }
        });
    }

    @Override
    public Optional<SubscriberState> subscriber(String key) {
        Validation.name("key", key);
        return run("reading the state of subscription " + key, c -> {
            try (PreparedStatement statement = c.prepareStatement(selectSubscriber)) {
                statement.setString(1, key);
                try (ResultSet rs = statement.executeQuery()) {
                    return SubscriberRows.readState(rs, COLUMNS, key);
                }
            }
        });
    }

    @Override
    public void acknowledge(Lease lease, String cursor) {
        Validation.cursor(cursor);
        Objects.requireNonNull(lease, "lease");
        run("acknowledging subscription " + lease.key(), c -> {
            acknowledgeOn(c, lease, cursor);
            return null;
        });
    }

    @Override
    public void acknowledge(Connection transaction, Lease lease, String cursor) {
        Objects.requireNonNull(transaction, "transaction");
        Validation.cursor(cursor);
        Objects.requireNonNull(lease, "lease");
        onTransaction("acknowledging subscription " + lease.key(), transaction, c -> {
            acknowledgeOn(c, lease, cursor);
            return null;
        });
    }

    private void acknowledgeOn(Connection c, Lease lease, String cursor) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(acknowledge)) {
            statement.setString(1, cursor);
            SubscriberRows.bindLease(statement, 2, lease);
            if (statement.executeUpdate() == 0) {
                throw new LeaseLostException(lease.key(), lease.workerId());
            }
        }
    }

    @Override
    public void resetSubscriber(String key, Optional<String> cursor) {
        Validation.name("key", key);
        Objects.requireNonNull(cursor, "cursor");
        cursor.ifPresent(Validation::cursor);
        run("resetting subscription " + key, c -> {
            try (PreparedStatement statement = c.prepareStatement(resetSubscriber)) {
                statement.setString(1, key);
                statement.setString(2, cursor.orElse(null));
                statement.executeUpdate();
                return null;
            }
        });
    }

    @Override
    public void pauseSubscriber(String key, boolean paused) {
        Validation.name("key", key);
        run((paused ? "pausing" : "resuming") + " subscription " + key, c -> {
            try (PreparedStatement statement = c.prepareStatement(pauseSubscriber)) {
                statement.setString(1, key);
                statement.setBoolean(2, paused);
                statement.executeUpdate();
                return null;
            }
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code parkedAt} is stored to the microsecond, PostgreSQL's {@code timestamptz} precision.
     */
    @Override
    public void park(Lease lease, ParkedEvent event) {
        Validation.parkedUnder(lease, event);
        run("parking event " + event.eventId() + " of subscription " + event.key(), c -> {
            parkOn(c, lease, event);
            return null;
        });
    }

    @Override
    public void park(Connection transaction, Lease lease, ParkedEvent event) {
        Objects.requireNonNull(transaction, "transaction");
        Validation.parkedUnder(lease, event);
        onTransaction("parking event " + event.eventId() + " of subscription " + event.key(), transaction, c -> {
            parkOn(c, lease, event);
            return null;
        });
    }

    @Override
    public boolean unpark(Connection transaction, String key, String eventId) {
        Objects.requireNonNull(transaction, "transaction");
        Validation.name("key", key);
        Validation.id("eventId", eventId);
        return onTransaction("unparking event " + eventId + " of subscription " + key, transaction, c -> {
            try (PreparedStatement statement = c.prepareStatement(unpark)) {
                ParkedRows.bindId(statement, key, eventId);
                return statement.executeUpdate() > 0;
            }
        });
    }

    private void parkOn(Connection c, Lease lease, ParkedEvent event) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(park)) {
            int parkedAt = ParkedRows.bindEntry(statement, SubscriberRows.bindLease(statement, 1, lease), event);
            statement.setObject(parkedAt, OffsetDateTime.ofInstant(event.parkedAt(), ZoneOffset.UTC));
            if (statement.executeUpdate() == 0) {
                throw new LeaseLostException(lease.key(), lease.workerId());
            }
        }
    }

    @Override
    public List<ParkedEvent> parked(String key, int limit) {
        Validation.name("key", key);
        Validation.limit("limit", limit, Limits.PAGE_MAX_SIZE);
        return run("listing the parked events of subscription " + key, c -> {
            try (PreparedStatement statement = c.prepareStatement(selectParked)) {
                ParkedRows.bindList(statement, key, limit);
                try (ResultSet rs = statement.executeQuery()) {
                    return ParkedRows.readList(rs, COLUMNS, key, limit);
                }
            }
        });
    }

    @Override
    public boolean unpark(String key, String eventId) {
        Validation.name("key", key);
        Validation.id("eventId", eventId);
        return run("unparking event " + eventId + " of subscription " + key, c -> {
            try (PreparedStatement statement = c.prepareStatement(unpark)) {
                ParkedRows.bindId(statement, key, eventId);
                return statement.executeUpdate() > 0;
            }
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>Listeners are called after every commit of this executor, on the committing thread, and
     * after commits of other executors on the same schema (in this process or another), on a
     * listener thread: see the class comment for how.
     */
    @Override
    public Registration onCommit(Runnable listener) {
        Objects.requireNonNull(listener, "listener");
        ensureOpen();
        return notifications.register(listener);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The transaction runs on a connection of the executor's pool (or data source), at READ
     * COMMITTED, whatever the connection's own settings; its auto-commit mode and isolation level
     * are restored before it is given back.
     */
    @Override
    public <T> T inTransaction(Work<T> work) {
        Objects.requireNonNull(work, "work");
        ensureOpen();
        try (Connection connection = dataSource.getConnection()) {
            // The executor's own pool hands out auto-commit READ COMMITTED connections; asking a
            // connection for its settings costs round trips in pgjdbc, so only a user's is asked.
            boolean autoCommit = ownedPool != null || connection.getAutoCommit();
            int isolation =
                    ownedPool != null ? Connection.TRANSACTION_READ_COMMITTED : connection.getTransactionIsolation();
            return Transactions.inTransaction(connection, autoCommit, isolation, work);
        } catch (SQLException e) {
            if (closed) {
                throw new StoreException("the PostgreSQL executor is closed", e, false);
            }
            throw PostgresErrors.failure("running a transaction", e);
        }
    }

    /** Runs work on the caller's transaction, translating database failures as {@link #run} does. */
    private <T> T onTransaction(String operation, Connection transaction, Work<T> work) {
        ensureOpen();
        try {
            return work.run(transaction);
        } catch (SQLException e) {
            throw PostgresErrors.failure(operation, e);
        }
    }

    @Override
    public Optional<StoredSnapshot> snapshot(String projection, String aggregatorType, String aggregatorId) {
        Validation.name("projection", projection);
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        return run("reading snapshot " + projection + " of " + aggregatorType + "/" + aggregatorId, c -> {
            try (PreparedStatement statement = c.prepareStatement(selectSnapshot)) {
                SnapshotRows.bindKey(statement, projection, aggregatorType, aggregatorId);
                try (ResultSet rs = statement.executeQuery()) {
                    return SnapshotRows.read(rs, COLUMNS, projection, aggregatorType, aggregatorId);
                }
            }
        });
    }

    @Override
    public void saveSnapshot(StoredSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        run("saving snapshot " + snapshot.projection(), c -> {
            try (PreparedStatement upsert = c.prepareStatement(upsertSnapshot)) {
                SnapshotRows.bindUpsert(upsert, snapshot);
                upsert.executeUpdate();
                return null;
            }
        });
    }

    /**
     * Stops the wake-up threads, waiting for them (a notification still due is sent first), and
     * closes their connections and the connection pool created from a JDBC URL (a data source given
     * to the builder is left open). Later calls throw a {@link StoreException}. Closing again does
     * nothing.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // The threads first: the notifier may still announce a last commit on its own connection.
        notifications.close();
        Transactions.closeQuietly(ownedPool, "the connection pool");
    }

    @Override
    public String toString() {
        return "PostgresExecutor[schema " + schema + ", store " + storeId + "]";
    }

    /** The store id, part of every cursor of this store. */
    String storeId() {
        return storeId;
    }

    /** The wake-up machinery, for tests to see its threads and connections. */
    CommitNotifications notifications() {
        return notifications;
    }

    /** The SQL of this store's event table. */
    EventTable sql() {
        return sql;
    }

    /**
     * Runs work on a pooled connection in auto-commit mode, translating database failures into
     * {@link StoreException}s.
     */
    private <T> T run(String operation, Work<T> work) {
        ensureOpen();
        try (Connection connection = dataSource.getConnection()) {
            // The executor's own pool is configured right; asking a connection for its isolation
            // level costs a round trip in pgjdbc, so only a user's data source is checked.
            if (ownedPool != null) {
                return work.run(connection);
            }
            boolean autoCommit = connection.getAutoCommit();
            int isolation = connection.getTransactionIsolation();
            if (autoCommit && isolation == Connection.TRANSACTION_READ_COMMITTED) {
                return work.run(connection);
            }
            // A user's data source may hand out connections with auto-commit off, or at a stricter
            // isolation level, where a unique-key race surfaces as 40001 instead of 23505 and a
            // conflict would no longer be a ConcurrencyException.
            connection.setAutoCommit(true);
            connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            try {
                return work.run(connection);
            } finally {
                connection.setTransactionIsolation(isolation);
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            if (closed) {
                throw new StoreException("the PostgreSQL executor is closed", e, false);
            }
            throw PostgresErrors.failure(operation, e);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new StoreException("the PostgreSQL executor is closed (schema " + schema + ")", null, false);
        }
    }

    /**
     * Connections of the notification threads for a store opened from a JDBC URL: opened apart from
     * the pool, so that the listener's long wait never takes a connection from writers. The URL's
     * own settings win over the defaults set here.
     */
    private static final class DriverConnections implements CommitNotifications.Connections {
        private final String jdbcUrl;

        DriverConnections(String jdbcUrl) {
            this.jdbcUrl = jdbcUrl;
        }

        @Override
        public CommitNotifications.Session open() throws SQLException {
            Properties defaults = new Properties();
            // Shows what the connections are in pg_stat_activity.
            defaults.setProperty("ApplicationName", "evento-postgres notifications");
            // A server that stops answering must not hold a thread for ever: the notifier would stop
            // announcing commits, and closing the executor would wait for it.
            defaults.setProperty("connectTimeout", "10");
            defaults.setProperty("socketTimeout", "60");
            defaults.setProperty("tcpKeepAlive", "true");
            return new CommitNotifications.Session(DriverManager.getConnection(jdbcUrl, defaults), false);
        }

        @Override
        public boolean keepNotifierConnection() {
            return true;
        }
    }

    /**
     * Connections of the notification threads for a store opened from an application's data
     * source: the listener holds one for as long as it listens; the notifier borrows one for each
     * notification.
     */
    private static final class BorrowedConnections implements CommitNotifications.Connections {
        private final DataSource dataSource;

        BorrowedConnections(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        @Override
        public CommitNotifications.Session open() throws SQLException {
            Connection connection = dataSource.getConnection();
            try {
                boolean autoCommit = connection.getAutoCommit();
                if (!autoCommit) {
                    connection.setAutoCommit(true);
                }
                return new CommitNotifications.Session(connection, !autoCommit);
            } catch (SQLException | RuntimeException e) {
                try {
                    connection.close();
                } catch (SQLException closing) {
                    e.addSuppressed(closing);
                }
                throw e;
            }
        }

        @Override
        public boolean keepNotifierConnection() {
            return false;
        }
    }

    /** A positive duration in microseconds, rounded up, at most {@link #MAX_TTL_MICROS}. */
    static long ceilMicros(Duration d) {
        if (d.compareTo(Duration.ofSeconds(MAX_TTL_MICROS / 1_000_000)) >= 0) {
            return MAX_TTL_MICROS;
        }
        return d.getSeconds() * 1_000_000 + (d.getNano() + 999) / 1_000;
    }
}
