package io.evento.postgres;

import com.zaxxer.hikari.HikariDataSource;
import io.evento.ConcurrencyException;
import io.evento.Page;
import io.evento.StoreException;
import io.evento.internal.Settings;
import io.evento.spi.JdbcExecutor;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import io.evento.spi.SubscriberState;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.sql.DataSource;

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
    /** The class-path folder holding the migration scripts. */
    public static final String MIGRATIONS_LOCATION = "db/evento/postgres";

    private final String schema;
    private final String storeId;
    private final PostgresConnections connections;
    private final CommitNotifications notifications;
    private final PostgresEvents eventLog;
    private final PostgresSubscribers subscribers;
    private final PostgresDeadLetters deadLetters;
    private final PostgresSnapshots snapshots;

    private PostgresExecutor(
            DataSource dataSource, HikariDataSource ownedPool, String jdbcUrl, String schema, String storeId) {
        this.schema = schema;
        this.storeId = storeId;
        this.connections = new PostgresConnections(dataSource, ownedPool, schema);
        this.notifications = new CommitNotifications(schema, connections.forNotifications(jdbcUrl));
        this.eventLog = new PostgresEvents(connections, new EventTable(schema), storeId, notifications);
        this.subscribers = new PostgresSubscribers(connections, schema);
        this.deadLetters = new PostgresDeadLetters(connections, schema);
        this.snapshots = new PostgresSnapshots(connections, schema);
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
            HikariDataSource pool = PostgresConnections.createPool(
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

    private static PostgresExecutor open(
            DataSource dataSource, HikariDataSource ownedPool, String jdbcUrl, String schema, String from) {
        String storeId = PostgresSchema.open(dataSource, ownedPool, schema, from);
        return new PostgresExecutor(dataSource, ownedPool, jdbcUrl, schema, storeId);
    }

    @Override
    public void write(List<StoredEvent> events) {
        eventLog.write(events);
    }

    @Override
    public Page<StoredEvent> read(ReadQuery query) {
        return eventLog.read(query);
    }

    @Override
    public List<StoredEvent> readAggregate(String aggregatorType, String aggregatorId, int afterVersion, int limit) {
        return eventLog.readAggregate(aggregatorType, aggregatorId, afterVersion, limit);
    }

    @Override
    public Optional<StoredEvent> lastEvent(String aggregatorType, String aggregatorId) {
        return eventLog.lastEvent(aggregatorType, aggregatorId);
    }

    @Override
    public Optional<Lease> acquireLease(String key, String workerId, Duration ttl) {
        return subscribers.acquireLease(key, workerId, ttl);
    }

    @Override
    public void releaseLease(Lease lease) {
        subscribers.releaseLease(lease);
    }

    @Override
    public Optional<SubscriberState> subscriber(String key) {
        return subscribers.subscriber(key);
    }

    @Override
    public void acknowledge(Lease lease, String cursor) {
        subscribers.acknowledge(lease, cursor);
    }

    @Override
    public void acknowledge(Connection transaction, Lease lease, String cursor) {
        subscribers.acknowledge(transaction, lease, cursor);
    }

    @Override
    public void resetSubscriber(String key, Optional<String> cursor) {
        subscribers.resetSubscriber(key, cursor);
    }

    @Override
    public void pauseSubscriber(String key, boolean paused) {
        subscribers.pauseSubscriber(key, paused);
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code parkedAt} is stored to the microsecond, PostgreSQL's {@code timestamptz} precision.
     */
    @Override
    public void park(Lease lease, ParkedEvent event) {
        deadLetters.park(lease, event);
    }

    @Override
    public void park(Connection transaction, Lease lease, ParkedEvent event) {
        deadLetters.park(transaction, lease, event);
    }

    @Override
    public List<ParkedEvent> parked(String key, int limit) {
        return deadLetters.parked(key, limit);
    }

    @Override
    public boolean unpark(String key, String eventId) {
        return deadLetters.unpark(key, eventId);
    }

    @Override
    public boolean unpark(Connection transaction, String key, String eventId) {
        return deadLetters.unpark(transaction, key, eventId);
    }

    @Override
    public Optional<StoredSnapshot> snapshot(String projection, String aggregatorType, String aggregatorId) {
        return snapshots.snapshot(projection, aggregatorType, aggregatorId);
    }

    @Override
    public void saveSnapshot(StoredSnapshot snapshot) {
        snapshots.saveSnapshot(snapshot);
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
        connections.ensureOpen();
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
        return connections.inTransaction(work);
    }

    /**
     * Stops the wake-up threads, waiting for them (a notification still due is sent first), and
     * closes their connections and the connection pool created from a JDBC URL (a data source given
     * to the builder is left open). Later calls throw a {@link StoreException}. Closing again does
     * nothing.
     */
    @Override
    public void close() {
        if (connections.isClosed()) {
            return;
        }
        connections.close();
        // The threads first: the notifier may still announce a last commit on its own connection.
        notifications.close();
        connections.closePool();
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

    /** The event log, for tests to hold a write open and to look at its statements. */
    PostgresEvents eventLog() {
        return eventLog;
    }
}
