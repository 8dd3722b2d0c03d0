package io.evento.mysql;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.evento.ConcurrencyException;
import io.evento.Edge;
import io.evento.LeaseLostException;
import io.evento.Limits;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.StoreException;
import io.evento.internal.CommitSignal;
import io.evento.internal.Cursors;
import io.evento.internal.Validation;
import io.evento.internal.WriteBatch;
import io.evento.internal.sql.KnownAggregates;
import io.evento.internal.sql.Migration;
import io.evento.internal.sql.SqlQuery;
import io.evento.spi.JdbcExecutor;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import io.evento.spi.SubscriberState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MySQL and MariaDB executor: the event store in InnoDB tables of one database.
 *
 * <pre>{@code
 * try (MysqlExecutor executor = MysqlExecutor.open("jdbc:mariadb://db:3306/app?user=app&password=secret")) {
 *     Evento evento = Evento.builder(executor).register(Account.class).build();
 *     ...
 * }
 * }</pre>
 *
 * <p>The SQL uses only what MySQL 8.0+ and MariaDB 10.6+ share; it is tested on MariaDB 10.11 with
 * MariaDB Connector/J and has not been run against MySQL. Any JDBC driver for these servers may
 * provide the connections ({@link Builder#dataSource(DataSource)}); with a URL, the executor keeps
 * a HikariCP pool of its own.
 *
 * <h2>The global order, and why it cannot skip an event</h2>
 *
 * <p>A subscription reads "everything after my cursor". With concurrent writers, the order in
 * which rows are inserted is not the order in which they become visible: a transaction that took
 * {@code AUTO_INCREMENT} value 41 may commit after the one that took 42 was already read, and a
 * reader that moved past 42 never sees 41. PostgreSQL can hold such rows back with its snapshot
 * horizon; MySQL and MariaDB expose no horizon. A counter row locked by every writer would give a
 * commit-ordered sequence, but it serializes the writers' commits (each holds the lock through its
 * disk flush), which measured here at 0.25&ndash;0.30 of plain insert throughput. This executor
 * instead separates <em>writing</em> an event from <em>ordering</em> it:
 *
 * <ol>
 *   <li>A writer inserts its events with {@code position = 0}, not positioned yet (and an {@code AUTO_INCREMENT}
 *       {@code seq}, used only as insert order) and commits. Writers touch nothing shared but the
 *       table and its indexes, so they commit as concurrently as plain inserts.
 *   <li>A <em>sequencer</em> assigns positions to committed rows, in passes. A pass knows the
 *       value {@code n} of the counter row of {@code evento_sequence} from before it starts, reads
 *       the committed rows without a position (one plain {@code SELECT}: InnoDB's consistent read
 *       shows committed rows only, and never waits for the writers still in flight), and then, in
 *       one statement, moves the counter from {@code n} to {@code n + k} <em>if it is still {@code
 *       n}</em> and gives those {@code k} rows the positions {@code n .. n + k - 1}, only where the
 *       position is still {@code 0}.
 *   <li>Readers page by {@code position} and never return a row whose position is {@code 0}.
 * </ol>
 *
 * <p>Why no reader can skip an event. Every position is assigned by a pass statement, and each
 * such statement commits atomically (it is a single statement in auto-commit mode). The counter
 * row is locked by the statement that moves it until that statement commits, and the move succeeds
 * only from the value the pass read: so passes commit one after another, each claiming the range
 * right after the previous one's. If a reader's snapshot shows any row of some pass, that pass
 * committed before the snapshot, and so did every pass before it: the rows visible to a reader are
 * exactly those of a <em>prefix</em> of the passes, and every row positioned later gets a larger
 * position than any the reader can see. A reader whose cursor is at position {@code p} and asks
 * for rows after {@code p} therefore sees every row positioned since, and no later pass can put a
 * row below {@code p}. A row is only ever positioned after it committed (the pass saw it in a
 * consistent read), so a rolled-back write is never seen; and a position, once given, never
 * changes (the update requires {@code 0}), so the order a reader observed is final.
 *
 * <p>Why every committed event gets a position. A write wakes its executor's sequencer after its
 * commit, and the pass that follows starts after the commit, so its scan sees the row. If that
 * process dies between the commit and the pass, every executor on the database also runs a pass
 * every {@linkplain Builder#pollInterval(Duration) poll interval}. A pass that dies half-way has
 * committed whole statements or nothing. So once writers stop, the log drains, and a reader
 * waiting for the last events stops waiting.
 *
 * <p>Why there is no lease. Several executors (in several processes) may run passes at once. They
 * never need more than the counter row's lock, for the length of one statement, and the
 * compare-and-set makes any overlap harmless: the pass that moves the counter first wins, the
 * other changes nothing and scans again. No lock is held between statements, so a process that
 * stalls or dies cannot block the others, and no lease has to expire before another takes over.
 *
 * <p>InnoDB details that matter. The scan is a non-locking read, so it neither blocks nor is
 * blocked by writers and needs no isolation level of its own. The pass updates rows by primary key
 * (record locks only, never gap locks, in every isolation level) that are committed and locked by
 * nobody: it waits for no writer. It runs at {@code READ COMMITTED} (the executor's own pool
 * runs at that level; on a connection of an application's data source the sequencer sets it for
 * the pass), where its range on the primary key takes no gap lock that could hold up a writer
 * appending at the end of the table. Writers never touch the counter row and never wait for the
 * sequencer. The position index is not unique: positions are unique by construction, each pass
 * claiming its own range, and a non-unique index gives the scan its {@code 0} entries in {@code
 * seq} order without a sort.
 *
 * <p>Within one aggregate, version order is position order: version {@code v + 1} is inserted only
 * after version {@code v} committed, so it has a larger {@code seq}, and passes position committed
 * rows in {@code seq} order. A pass never positions part of a commit: every row records the version
 * that ends its commit, and passes cut their work only where no commit is open. Readers of this
 * executor see their own writes: a {@link #read(ReadQuery)} first waits (briefly: one pass) until
 * the writes this executor committed before it are positioned. Events written through other
 * executors appear as soon as their executor's pass has run. {@link #readAggregate} and {@link
 * #lastEvent} read every committed row, positioned or not, and the version check of a write never
 * looks at positions.
 *
 * <p>The cost: each event is written twice (inserted, then positioned), but the second write is
 * batched, one statement and one commit per pass for everything committed meanwhile, off the
 * writers' path, on a connection of the sequencer's own (with the executor's own pool), so that a
 * pass never makes a writer wait for a connection. While commits stream in, a pass waits the
 * {@linkplain Builder#gatherDelay(Duration) gather delay} (20 ms) after the previous one unless a
 * reader of this executor is waiting: a pass has a fixed cost on the server (measured at about a
 * millisecond: the scan, the statement, its commit), so fewer, larger passes leave more of the
 * server to the writers. With 8 writers and one event per commit (MariaDB 10.11, two cores), 5 ms
 * passes cost the server about 300 &micro;s per commit against 180 for raw inserts into the same
 * table, which are not skip-free; 20&ndash;25 ms passes about 250 (see BENCHMARKS.md for the
 * ratios). Positioning costs the server more per event than inserting (every index holding the
 * position is updated), so a writer that commits faster than passes position, a bulk import, is
 * held back: after its commit, a write waits while more than 5,000 events of its executor wait for
 * positions. The lag behind a burst of writes stays a fraction of a second, and so does the wait of
 * a reader of the same executor.
 *
 * <h2>Schema and migrations</h2>
 *
 * <p>{@link #open(String)} creates the schema if it is missing and applies the migrations a newer
 * release brings, holding a named lock ({@code GET_LOCK}) so that processes starting together take
 * turns; applied versions are recorded with their checksums in {@code evento_schema_history}, and a
 * changed or unknown migration is refused with a {@link StoreException}. The tables are {@code
 * evento_event}, {@code evento_sequence}, {@code evento_subscriber}, {@code evento_parked} (the
 * dead-letter store), {@code evento_snapshot} and {@code evento_meta}. The scripts are plain SQL in
 * {@value #MIGRATIONS_LOCATION} of this jar, named like Flyway's versioned migrations, and
 * idempotent. Ids, names and keys are stored as UTF-8 in {@code VARBINARY} columns, compared byte
 * for byte: exact and case-sensitive, and {@code "a"} and {@code "a "} are different keys (they are
 * not under MySQL's {@code PAD SPACE} collations such as {@code utf8mb4_bin}). The one exception
 * is the error of a parked event, text that people read: a {@code utf8mb4} column, which keeps any
 * character exactly.
 *
 * <h2>Leases and errors</h2>
 *
 * <p>Subscription leases expire by the database's clock ({@code UTC_TIMESTAMP(6)}), so processes
 * with skewed clocks still agree; acknowledging checks owner, token and expiry in one conditional
 * update, and parking an event runs the same check as an update of the subscriber row in the
 * transaction that stores the entry. A lease is taken under a lock of the subscriber row, where the
 * paused flag is judged too; a reset revokes the lease by clearing its owner, so whoever takes it
 * next gets a larger token. A parked entry's time is stored to the microsecond.
 *
 * <p>Database failures are {@link StoreException}s, transient for lost or refused connections,
 * lock wait timeouts and deadlocks (classified by SQLSTATE and vendor code). A conflicting write is
 * a {@link ConcurrencyException}, detected by the unique key {@code (aggregator_type,
 * aggregator_id, version)} (vendor code 1062). After {@link #close()} every call throws a {@link
 * StoreException}. Instances are thread-safe; every method blocks and may be called from virtual
 * threads.
 *
 * <h2>Sharing a transaction</h2>
 *
 * <p>As a {@link JdbcExecutor}, the executor runs an application's work in a transaction on one of
 * its connections ({@link #inTransaction}), at {@code READ COMMITTED}, in which a subscription's
 * checkpoint can be moved ({@link #acknowledge(Connection, Lease, String)}) or an event parked
 * ({@link #park(Connection, Lease, ParkedEvent)}): a read model kept in the same database is then
 * updated exactly once. The lease check locks the subscriber row until the transaction ends, so a
 * reset or a takeover waits for it, and the checkpoint commits only with a lease still held. Keep
 * such transactions short: a worker renewing its lease waits for the same lock.
 *
 * <h2>Commit notifications</h2>
 *
 * <p>{@link #onCommit} listeners hear of this process only: the commits of writes through this
 * executor, at once, and the passes of its sequencer that positioned events. MySQL and MariaDB have
 * no portable way to notify another connection, so subscribers of other processes learn of new
 * events by polling, or when their own executor's sequencer happens to position them.
 */
public final class MysqlExecutor implements JdbcExecutor {
    private static final Logger LOG = LoggerFactory.getLogger(MysqlExecutor.class);
    private static final AtomicInteger POOLS = new AtomicInteger();

    /** The class-path folder holding the migration scripts. */
    public static final String MIGRATIONS_LOCATION = MysqlMigrations.LOCATION;

    private static final LocalDateTime LATEST = LocalDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000);
    private static final LocalDateTime EXPIRED = LocalDateTime.of(1970, 1, 1, 0, 0);
    private static final Instant EARLIEST_INSTANT = Instant.parse("1000-01-01T00:00:00Z");
    private static final Instant LATEST_INSTANT = LATEST.toInstant(ZoneOffset.UTC);
    private static final String NOW = "COALESCE(?, UTC_TIMESTAMP(6))";
    private static final int KNOWN_AGGREGATES = 100_000;
    private static final Pattern SECRET = Pattern.compile("(?i)(password|pwd)=[^&;]*");

    private static final String ENSURE_SUBSCRIBER = "INSERT INTO evento_subscriber"
            + " (subscription_key, worker_id, token, expires_at, checkpoint, updates, updated_at)"
            + " VALUES (?, '', 0, ?, NULL, 0, " + NOW + ") ON DUPLICATE KEY UPDATE subscription_key = subscription_key";
    private static final String LOCK_SUBSCRIBER = "SELECT worker_id, token, expires_at, UTC_TIMESTAMP(6), paused"
            + " FROM evento_subscriber WHERE subscription_key = ? FOR UPDATE";
    private static final String UPDATE_LEASE = "UPDATE evento_subscriber SET worker_id = ?, token = ?, expires_at = ?,"
            + " updates = updates + 1, updated_at = " + NOW + " WHERE subscription_key = ?";
    private static final String RELEASE_LEASE = "UPDATE evento_subscriber SET expires_at = ?, updates = updates + 1,"
            + " updated_at = " + NOW + " WHERE subscription_key = ? AND worker_id = ? AND token = ? AND expires_at > "
            + NOW;
    private static final String ACKNOWLEDGE = "UPDATE evento_subscriber SET checkpoint = ?, updates = updates + 1,"
            + " updated_at = " + NOW + " WHERE subscription_key = ? AND worker_id = ? AND token = ? AND expires_at > "
            + NOW;
    private static final String SELECT_SUBSCRIBER = "SELECT checkpoint, worker_id, token, expires_at, paused"
            + " FROM evento_subscriber WHERE subscription_key = ?";
    // A reset revokes the lease: no owner (the '' sentinel, which no worker id equals), expired,
    // token kept, so whoever takes the lease next is a new owner and gets token + 1.
    private static final String RESET_SUBSCRIBER = "INSERT INTO evento_subscriber"
            + " (subscription_key, worker_id, token, expires_at, checkpoint, updates, updated_at, paused)"
            + " VALUES (?, '', 0, ?, ?, 0, " + NOW + ", FALSE) ON DUPLICATE KEY UPDATE worker_id = '',"
            + " expires_at = VALUES(expires_at), checkpoint = VALUES(checkpoint), updates = updates + 1,"
            + " updated_at = VALUES(updated_at)";
    private static final String PAUSE_SUBSCRIBER = "INSERT INTO evento_subscriber"
            + " (subscription_key, worker_id, token, expires_at, checkpoint, updates, updated_at, paused)"
            + " VALUES (?, '', 0, ?, NULL, 0, " + NOW + ", ?) ON DUPLICATE KEY UPDATE paused = VALUES(paused),"
            + " updates = updates + 1, updated_at = VALUES(updated_at)";
    // The lease check of a park: the same condition as an acknowledgement, and like it an update, so
    // that it locks the subscriber row until the transaction ends and a reset cannot slip in between
    // the check and the commit.
    private static final String FENCE = "UPDATE evento_subscriber SET updates = updates + 1, updated_at = " + NOW
            + " WHERE subscription_key = ? AND worker_id = ? AND token = ? AND expires_at > " + NOW;
    // Parking again updates the row in place: its seq, and so its place in the list, stays.
    private static final String UPSERT_PARKED = "INSERT INTO evento_parked (subscription_key, event_id,"
            + " aggregator_type, aggregator_id, version, error, attempts, parked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON DUPLICATE KEY UPDATE aggregator_type = VALUES(aggregator_type),"
            + " aggregator_id = VALUES(aggregator_id), version = VALUES(version), error = VALUES(error),"
            + " attempts = VALUES(attempts), parked_at = VALUES(parked_at)";
    static final String SELECT_PARKED = "SELECT event_id, aggregator_type, aggregator_id, version, error,"
            + " attempts, parked_at FROM evento_parked WHERE subscription_key = ? ORDER BY seq LIMIT ?";
    static final String DELETE_PARKED = "DELETE FROM evento_parked WHERE subscription_key = ? AND event_id = ?";
    private static final String SELECT_SNAPSHOT = "SELECT revision, version, data, timestamp FROM evento_snapshot"
            + " WHERE projection = ? AND aggregator_type = ? AND aggregator_id = ?";
    private static final String UPSERT_SNAPSHOT = "INSERT INTO evento_snapshot"
            + " (projection, aggregator_type, aggregator_id, revision, version, data, timestamp)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE revision = VALUES(revision),"
            + " version = VALUES(version), data = VALUES(data), timestamp = VALUES(timestamp)";

    private final DataSource dataSource;
    private final HikariDataSource ownPool;
    /** The sequencer's own connection, with {@link #ownPool}; {@code null} with an application's data source. */
    private final HikariDataSource sequencerPool;

    private final String description;
    private final String storeId;
    private final Clock clock;
    private final Sequencer sequencer;
    private final CommitSignal signal;
    private final KnownAggregates known = new KnownAggregates(KNOWN_AGGREGATES);
    private volatile boolean closed;

    private MysqlExecutor(
            DataSource dataSource,
            HikariDataSource ownPool,
            HikariDataSource sequencerPool,
            String description,
            String storeId,
            Clock clock,
            Sequencer sequencer,
            CommitSignal signal) {
        this.dataSource = dataSource;
        this.ownPool = ownPool;
        this.sequencerPool = sequencerPool;
        this.description = description;
        this.storeId = storeId;
        this.clock = clock;
        this.sequencer = sequencer;
        this.signal = signal;
    }

    /**
     * Opens the store in the database named by a JDBC URL, with the default settings, creating the
     * schema if it is missing.
     *
     * @param jdbcUrl a URL such as {@code jdbc:mariadb://host:3306/database?user=u&password=p}
     * @return the executor
     * @throws StoreException if the database cannot be reached (transient) or migrated
     */
    public static MysqlExecutor open(String jdbcUrl) {
        return builder().jdbcUrl(jdbcUrl).open();
    }

    /**
     * A builder for other settings.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Settings of a {@link MysqlExecutor}. Each may be set once; a bad value is refused at once.
     *
     * <pre>{@code
     * MysqlExecutor executor = MysqlExecutor.builder()
     *         .jdbcUrl("jdbc:mariadb://db:3306/app?user=app&password=secret")
     *         .maximumPoolSize(16)
     *         .open();
     * }</pre>
     *
     * <p>Whatever the settings, {@link MysqlExecutor#onCommit} listeners hear of this process's
     * commits only; subscribers in other processes find new events by polling.
     */
    public static final class Builder {
        /** The pool size unless set. */
        public static final int DEFAULT_MAXIMUM_POOL_SIZE = 10;

        /** The largest pool size accepted. */
        public static final int MAX_POOL_SIZE = 1_000;

        /** How long a call waits for a pooled connection unless set. */
        public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(30);

        /** The sequencer's poll interval unless set. */
        public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(500);

        /** The sequencer's gathering delay unless set. */
        public static final Duration DEFAULT_GATHER_DELAY = Duration.ofMillis(20);

        private String jdbcUrl;
        private DataSource dataSource;
        private int maximumPoolSize;
        private Duration connectionTimeout;
        private Duration pollInterval;
        private Duration gatherDelay;
        private Clock clock;

        private Builder() {}

        /**
         * The database, by JDBC URL; the executor then keeps a HikariCP pool of its own and closes
         * it on {@link MysqlExecutor#close()}. The URL must name a database.
         *
         * @param jdbcUrl a URL such as {@code jdbc:mariadb://host:3306/database?user=u}
         * @return this builder
         * @throws IllegalArgumentException if it is not a {@code jdbc:} URL
         * @throws IllegalStateException if a URL or a data source was already set
         */
        public Builder jdbcUrl(String jdbcUrl) {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            if (this.jdbcUrl != null) {
                throw new IllegalStateException("jdbc URL was already set to " + redact(this.jdbcUrl));
            }
            if (this.dataSource != null) {
                throw new IllegalStateException("a data source was already set (" + this.dataSource
                        + "); give a JDBC URL or a data source, not both");
            }
            if (!jdbcUrl.startsWith("jdbc:")) {
                throw new IllegalArgumentException("a JDBC URL starts with 'jdbc:', was '" + redact(jdbcUrl) + "'");
            }
            this.jdbcUrl = jdbcUrl;
            return this;
        }

        /**
         * The database, by a data source the application manages (and closes). Its connections may
         * come in auto-commit mode, as pools do by default, or not: each call sets the mode and
         * isolation level it needs and puts back what it found.
         *
         * @param dataSource the data source
         * @return this builder
         * @throws IllegalStateException if a URL or a data source was already set
         */
        public Builder dataSource(DataSource dataSource) {
            Objects.requireNonNull(dataSource, "dataSource");
            if (this.dataSource != null) {
                throw new IllegalStateException("data source was already set to " + this.dataSource);
            }
            if (this.jdbcUrl != null) {
                throw new IllegalStateException("a JDBC URL was already set (" + redact(this.jdbcUrl)
                        + "); give a JDBC URL or a data source, not both");
            }
            this.dataSource = dataSource;
            return this;
        }

        /**
         * The most connections of the executor's own pool; {@value #DEFAULT_MAXIMUM_POOL_SIZE} unless
         * set. The sequencer keeps one more connection of its own. Only with {@link #jdbcUrl(String)}.
         *
         * @param size from 1 to {@value #MAX_POOL_SIZE}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if already set
         */
        public Builder maximumPoolSize(int size) {
            if (this.maximumPoolSize != 0) {
                throw new IllegalStateException("maximum pool size was already set to " + this.maximumPoolSize);
            }
            if (size < 1 || size > MAX_POOL_SIZE) {
                throw new IllegalArgumentException(
                        "maximum pool size must be between 1 and " + MAX_POOL_SIZE + ", was " + size);
            }
            this.maximumPoolSize = size;
            return this;
        }

        /**
         * How long a call waits for a connection of the executor's own pool (the database being
         * unreachable or every connection busy) before failing with a transient {@link
         * StoreException}; 30 seconds unless set. Only with {@link #jdbcUrl(String)}.
         *
         * @param timeout at least 250 milliseconds
         * @return this builder
         * @throws IllegalArgumentException if shorter
         * @throws IllegalStateException if already set
         */
        public Builder connectionTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (this.connectionTimeout != null) {
                throw new IllegalStateException("connection timeout was already set to " + this.connectionTimeout);
            }
            if (timeout.compareTo(Duration.ofMillis(250)) < 0 || timeout.compareTo(Duration.ofDays(1)) > 0) {
                throw new IllegalArgumentException(
                        "connection timeout must be between 250 ms and 1 day, was " + timeout);
            }
            this.connectionTimeout = timeout;
            return this;
        }

        /**
         * How often the sequencer looks for committed events without a position when nothing wakes
         * it: the events of a process that died between its commit and its own sequencer's pass. A
         * local commit wakes it at once. 500 ms unless set.
         *
         * @param interval from 1 ms to 1 hour
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if already set
         */
        public Builder pollInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (this.pollInterval != null) {
                throw new IllegalStateException("poll interval was already set to " + this.pollInterval);
            }
            if (interval.compareTo(Duration.ofMillis(1)) < 0 || interval.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("poll interval must be between 1 ms and 1 hour, was " + interval);
            }
            this.pollInterval = interval;
            return this;
        }

        /**
         * The shortest time between two passes of the sequencer while commits stream in and no
         * reader of this executor is waiting: a pass then positions everything that committed
         * meanwhile in one statement, which costs the server (and so the writers) less than many small
         * passes. Events of this executor's commits become readable to other processes up to this
         * much later while commits stream in; readers of this executor never wait for it (they ask
         * for a pass at once). 20 ms unless set; zero runs passes back to back.
         *
         * @param delay from 0 to 1 second
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if already set
         */
        public Builder gatherDelay(Duration delay) {
            Objects.requireNonNull(delay, "delay");
            if (this.gatherDelay != null) {
                throw new IllegalStateException("gather delay was already set to " + this.gatherDelay);
            }
            if (delay.isNegative() || delay.compareTo(Duration.ofSeconds(1)) > 0) {
                throw new IllegalArgumentException("gather delay must be between 0 and 1 second, was " + delay);
            }
            this.gatherDelay = delay;
            return this;
        }

        /**
         * A clock for lease expiry instead of the database's; for tests that move time. Every process
         * sharing the store must then use clocks that agree.
         *
         * @param clock the clock
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder clock(Clock clock) {
            Objects.requireNonNull(clock, "clock");
            if (this.clock != null) {
                throw new IllegalStateException("clock was already set to " + this.clock);
            }
            this.clock = clock;
            return this;
        }

        /**
         * Opens the store, creating the schema if missing and applying pending migrations.
         *
         * @return the executor
         * @throws IllegalStateException if neither a URL nor a data source was set, or pool settings
         *     were given with a data source
         * @throws StoreException if the database cannot be reached (transient) or migrated
         */
        public MysqlExecutor open() {
            if (jdbcUrl == null && dataSource == null) {
                throw new IllegalStateException("set a JDBC URL or a data source before opening");
            }
            if (dataSource != null && (maximumPoolSize != 0 || connectionTimeout != null)) {
                throw new IllegalStateException("pool settings apply to the executor's own pool; with a data source,"
                        + " configure the data source instead");
            }
            return MysqlExecutor.open(this);
        }
    }

    private static MysqlExecutor open(Builder b) {
        HikariDataSource pool = null;
        HikariDataSource sequencerPool = null;
        DataSource source = b.dataSource;
        String description = b.jdbcUrl == null ? String.valueOf(b.dataSource) : redact(b.jdbcUrl);
        Duration poll = b.pollInterval == null ? Builder.DEFAULT_POLL_INTERVAL : b.pollInterval;
        Duration gather = b.gatherDelay == null ? Builder.DEFAULT_GATHER_DELAY : b.gatherDelay;
        boolean opened = false;
        try {
            DataSource sequencerSource = source;
            if (source == null) {
                pool = pool(
                        b, description, b.maximumPoolSize == 0 ? Builder.DEFAULT_MAXIMUM_POOL_SIZE : b.maximumPoolSize);
                source = pool;
                // The sequencer's connection is its own: borrowed from the writers' pool, it would
                // make one writer wait for every pass while all the others are busy.
                sequencerPool = pool(b, description + " (sequencer)", 1);
                sequencerSource = sequencerPool;
            }
            String storeId;
            List<Migration> applied;
            try (Connection c = source.getConnection()) {
                boolean autoCommit = c.getAutoCommit();
                c.setAutoCommit(true);
                try {
                    applied = MysqlMigrations.migrate(c, Clock.systemUTC(), Duration.ofSeconds(60));
                    storeId = readStoreId(c);
                } finally {
                    c.setAutoCommit(autoCommit);
                }
            }
            LOG.debug("Opened MySQL store {} at {} ({} migrations applied)", storeId, description, applied.size());
            CommitSignal signal = new CommitSignal();
            // After a pass, the events of other executors on the database may have become readable
            // too; a local write fires the signal itself, at its commit.
            Sequencer sequencer = new Sequencer(sequencerSource, poll, gather, description, () -> {
                if (signal.hasListeners()) {
                    signal.fire();
                }
            });
            MysqlExecutor executor =
                    new MysqlExecutor(source, pool, sequencerPool, description, storeId, b.clock, sequencer, signal);
            sequencer.start();
            opened = true;
            return executor;
        } catch (SQLException e) {
            throw MysqlErrors.failure("opening MySQL database " + description, e);
        } catch (IllegalStateException e) {
            throw new StoreException("cannot open MySQL database " + description + ": " + e.getMessage(), e, false);
        } catch (StoreException e) {
            throw e;
        } catch (RuntimeException e) {
            SQLException cause = sqlCause(e);
            if (cause != null) {
                throw MysqlErrors.failure("connecting to MySQL database " + description, cause);
            }
            throw e;
        } finally {
            if (!opened) {
                // Whatever failed, the pools opened so far are closed, the sequencer's too.
                closeQuietly(sequencerPool);
                closeQuietly(pool);
            }
        }
    }

    private static HikariDataSource pool(Builder b, String description, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(b.jdbcUrl);
        config.setPoolName("evento-mysql-" + POOLS.incrementAndGet());
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(Math.min(2, size));
        config.setConnectionTimeout(
                (b.connectionTimeout == null ? Builder.DEFAULT_CONNECTION_TIMEOUT : b.connectionTimeout).toMillis());
        config.setAutoCommit(true);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        LOG.debug("Starting a connection pool for {}", description);
        return new HikariDataSource(config);
    }

    private static String readStoreId(Connection c) throws SQLException {
        try (PreparedStatement select =
                        c.prepareStatement("SELECT meta_value FROM evento_meta WHERE meta_key = 'store_id'");
                ResultSet rs = select.executeQuery()) {
            if (!rs.next()) {
                throw new StoreException("the database has no store id in evento_meta", null, false);
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
        int commitEnd = expected + events.size();
        Optional<String> routingKey = withConnection("writing events to " + type + "/" + id, c -> {
            Optional<String> key = first.routingKey();
            if (expected > 0) {
                Optional<Optional<String>> fact = known.routingKeyIfAtVersion(type, id, expected);
                key = fact.isPresent() ? fact.get() : routingKeyAt(c, type, id, expected);
            }
            try {
                insert(c, events, key, commitEnd);
            } catch (SQLException e) {
                if (MysqlErrors.isDuplicateKey(e)) {
                    throw new ConcurrencyException(type, id, expected, e);
                }
                throw e;
            }
            return key;
        });
        known.record(type, id, commitEnd, routingKey);
        // Count the write before waking anyone: a woken reader's read then waits for its position.
        sequencer.committed(events.size());
        signal.fire();
        sequencer.holdBack();
    }

    /**
     * The routing key of the aggregate, read from version {@code expected}, which must exist: the
     * aggregate is not at that version otherwise. No transaction is needed, since a committed event
     * stays committed; whether version {@code expected + 1} is still free, the unique key decides.
     */
    private Optional<String> routingKeyAt(Connection c, String type, String id, int expected) throws SQLException {
        try (PreparedStatement select = c.prepareStatement(EventSql.ROUTING_KEY_AT_VERSION)) {
            select.setString(1, type);
            select.setString(2, id);
            select.setInt(3, expected);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    throw new ConcurrencyException(type, id, expected, null);
                }
                Optional<String> key = Optional.ofNullable(EventSql.text(rs, 1));
                known.record(type, id, expected, key);
                return key;
            }
        }
    }

    /** Inserts the events: one auto-committed statement if they fit in one, else one transaction. */
    private static void insert(Connection c, List<StoredEvent> events, Optional<String> routingKey, int commitEnd)
            throws SQLException {
        int rows = EventSql.rowsPerInsert(events, 0);
        if (rows == events.size()) {
            insertRows(c, events, 0, rows, routingKey, commitEnd);
            return;
        }
        c.setAutoCommit(false);
        boolean committed = false;
        try {
            int written = 0;
            while (written < events.size()) {
                rows = EventSql.rowsPerInsert(events, written);
                insertRows(c, events, written, rows, routingKey, commitEnd);
                written += rows;
            }
            c.commit();
            committed = true;
        } finally {
            if (!committed) {
                rollbackQuietly(c);
            }
            restoreAutoCommit(c);
        }
    }

    private static void insertRows(
            Connection c, List<StoredEvent> events, int from, int rows, Optional<String> routingKey, int commitEnd)
            throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(EventSql.insert(rows))) {
            for (int row = 0; row < rows; row++) {
                EventSql.bindInsert(insert, row, events.get(from + row), routingKey, commitEnd);
            }
            insert.executeUpdate();
        }
    }

    @Override
    public Page<StoredEvent> read(ReadQuery query) {
        Objects.requireNonNull(query, "query");
        ensureOpen();
        PageRequest page = query.page();
        Long bound = page.cursor().map(c -> Cursors.decode(storeId, c, 1)[0]).orElse(null);
        SqlQuery sql = EventSql.page(query.filters(), query.routing(), page.isForward(), bound, page.size() + 1);
        if (!sequencer.awaitLocalWrites(Sequencer.READ_BARRIER_TIMEOUT)) {
            ensureOpen();
            LOG.warn(
                    "Reading {} before this executor's latest writes have positions: the sequencer is behind",
                    description);
        }
        List<Edge<StoredEvent>> edges = withConnection("reading events", c -> {
            List<Edge<StoredEvent>> rows = new ArrayList<>(Math.min(page.size() + 1, 256));
            try (PreparedStatement statement = c.prepareStatement(sql.sql())) {
                sql.bind(statement);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        long position = EventSql.position(rs);
                        rows.add(Edge.lazy(EventSql.event(rs), () -> Cursors.encode(storeId, position)));
                    }
                }
            }
            return rows;
        });
        boolean more = edges.size() > page.size();
        if (more) {
            edges = edges.subList(0, page.size());
        }
        if (page.isForward()) {
            return Page.of(edges, page.cursor().isPresent(), more);
        }
        return Page.of(edges.reversed(), more, page.cursor().isPresent());
    }

    @Override
    public List<StoredEvent> readAggregate(String aggregatorType, String aggregatorId, int afterVersion, int limit) {
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        Validation.limit("limit", limit, Limits.PAGE_MAX_SIZE);
        List<StoredEvent> events = withConnection("reading aggregate " + aggregatorType + "/" + aggregatorId, c -> {
            try (PreparedStatement statement = c.prepareStatement(EventSql.READ_AGGREGATE)) {
                statement.setString(1, aggregatorType);
                statement.setString(2, aggregatorId);
                statement.setInt(3, afterVersion);
                statement.setInt(4, limit);
                List<StoredEvent> rows = new ArrayList<>(Math.min(limit, 256));
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        rows.add(EventSql.event(rs));
                    }
                }
                return List.copyOf(rows);
            }
        });
        if (!events.isEmpty()) {
            StoredEvent last = events.getLast();
            known.record(aggregatorType, aggregatorId, last.version(), last.routingKey());
        }
        return events;
    }

    @Override
    public Optional<StoredEvent> lastEvent(String aggregatorType, String aggregatorId) {
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        Optional<StoredEvent> last =
                withConnection("reading the last event of " + aggregatorType + "/" + aggregatorId, c -> {
                    try (PreparedStatement statement = c.prepareStatement(EventSql.LAST_EVENT)) {
                        statement.setString(1, aggregatorType);
                        statement.setString(2, aggregatorId);
                        try (ResultSet rs = statement.executeQuery()) {
                            return rs.next() ? Optional.of(EventSql.event(rs)) : Optional.<StoredEvent>empty();
                        }
                    }
                });
        last.ifPresent(e -> known.record(aggregatorType, aggregatorId, e.version(), e.routingKey()));
        return last;
    }

    @Override
    public Optional<Lease> acquireLease(String key, String workerId, Duration ttl) {
        Validation.name("key", key);
        Validation.id("workerId", workerId);
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("lease ttl must be positive, was " + ttl);
        }
        return withConnection("acquiring the lease of subscription " + key, c -> {
            LocalDateTime clockNow = clockNow();
            // Make sure the row exists, so that the locking read below locks a record, never a gap.
            try (PreparedStatement ensure = c.prepareStatement(ENSURE_SUBSCRIBER)) {
                ensure.setString(1, key);
                ensure.setObject(2, EXPIRED);
                setNow(ensure, 3, clockNow);
                ensure.executeUpdate();
            }
            return inOwnTransaction(c, () -> {
                String owner;
                long token;
                LocalDateTime expiresAt;
                LocalDateTime now;
                boolean paused;
                try (PreparedStatement select = c.prepareStatement(LOCK_SUBSCRIBER)) {
                    select.setString(1, key);
                    try (ResultSet rs = select.executeQuery()) {
                        if (!rs.next()) {
                            throw new StoreException("the lease row of " + key + " vanished", null, true);
                        }
                        owner = EventSql.text(rs, 1);
                        token = rs.getLong(2);
                        expiresAt = rs.getObject(3, LocalDateTime.class);
                        now = clockNow != null ? clockNow : rs.getObject(4, LocalDateTime.class);
                        paused = rs.getBoolean(5);
                    }
                }
                boolean mine = owner.equals(workerId);
                // Judged under the row lock, so a pause that commits first stops even a renewal.
                if (paused || (!mine && expiresAt.isAfter(now))) {
                    return Optional.<Lease>empty();
                }
                // The token grows whenever the lease changes hands, so a former owner is fenced off.
                long newToken = mine ? token : token + 1;
                LocalDateTime newExpiry = plus(now, ttl);
                try (PreparedStatement update = c.prepareStatement(UPDATE_LEASE)) {
                    update.setString(1, workerId);
                    update.setLong(2, newToken);
                    update.setObject(3, newExpiry);
                    setNow(update, 4, clockNow);
                    update.setString(5, key);
                    update.executeUpdate();
                }
                return Optional.of(new Lease(key, workerId, newToken, newExpiry.toInstant(ZoneOffset.UTC)));
            });
        });
    }

    @Override
    public void releaseLease(Lease lease) {
        Objects.requireNonNull(lease, "lease");
        withConnection("releasing the lease of subscription " + lease.key(), c -> {
            // Expire it, keeping owner and token, so that the next owner's token is larger than any before.
            LocalDateTime now = clockNow();
            try (PreparedStatement release = c.prepareStatement(RELEASE_LEASE)) {
                release.setObject(1, EXPIRED);
                setNow(release, 2, now);
                release.setString(3, lease.key());
                release.setString(4, lease.workerId());
                release.setLong(5, lease.token());
                setNow(release, 6, now);
                release.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Optional<SubscriberState> subscriber(String key) {
        Validation.name("key", key);
        return withConnection("reading the state of subscription " + key, c -> {
            try (PreparedStatement select = c.prepareStatement(SELECT_SUBSCRIBER)) {
                select.setString(1, key);
                try (ResultSet rs = select.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<SubscriberState>empty();
                    }
                    String worker = EventSql.text(rs, 2);
                    return Optional.of(new SubscriberState(
                            key,
                            Optional.ofNullable(EventSql.text(rs, 1)),
                            worker.isEmpty() ? Optional.<String>empty() : Optional.of(worker),
                            rs.getLong(3),
                            rs.getObject(4, LocalDateTime.class).toInstant(ZoneOffset.UTC),
                            rs.getBoolean(5)));
                }
            }
        });
    }

    @Override
    public void acknowledge(Lease lease, String cursor) {
        Objects.requireNonNull(lease, "lease");
        Validation.cursor(cursor);
        withConnection("acknowledging subscription " + lease.key(), c -> {
            acknowledgeOn(c, lease, cursor);
            return null;
        });
    }

    @Override
    public void acknowledge(Connection transaction, Lease lease, String cursor) {
        Objects.requireNonNull(lease, "lease");
        Validation.cursor(cursor);
        onTransaction("acknowledging subscription " + lease.key(), transaction, () -> {
            acknowledgeOn(transaction, lease, cursor);
            return null;
        });
    }

    /** The acknowledgement, on a connection in auto-commit mode or inside a transaction. */
    private void acknowledgeOn(Connection c, Lease lease, String cursor) throws SQLException {
        LocalDateTime now = clockNow();
        // One conditional update checks owner, token and expiry: a worker that lost its lease
        // matches no row. Every update changes "updates", so the row count is the same whether
        // the driver reports found or changed rows. Inside a transaction, the update keeps the row
        // locked until the end, so the checkpoint commits only with the lease still held.
        try (PreparedStatement acknowledge = c.prepareStatement(ACKNOWLEDGE)) {
            acknowledge.setString(1, cursor);
            setNow(acknowledge, 2, now);
            acknowledge.setString(3, lease.key());
            acknowledge.setString(4, lease.workerId());
            acknowledge.setLong(5, lease.token());
            setNow(acknowledge, 6, now);
            if (acknowledge.executeUpdate() == 0) {
                throw new LeaseLostException(lease.key(), lease.workerId());
            }
        }
    }

    @Override
    public void resetSubscriber(String key, Optional<String> cursor) {
        Validation.name("key", key);
        Objects.requireNonNull(cursor, "cursor");
        cursor.ifPresent(Validation::cursor);
        withConnection("resetting subscription " + key, c -> {
            try (PreparedStatement reset = c.prepareStatement(RESET_SUBSCRIBER)) {
                reset.setString(1, key);
                reset.setObject(2, EXPIRED);
                if (cursor.isPresent()) {
                    reset.setString(3, cursor.get());
                } else {
                    reset.setNull(3, Types.VARBINARY);
                }
                setNow(reset, 4, clockNow());
                reset.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void pauseSubscriber(String key, boolean paused) {
        Validation.name("key", key);
        withConnection((paused ? "pausing" : "resuming") + " subscription " + key, c -> {
            try (PreparedStatement pause = c.prepareStatement(PAUSE_SUBSCRIBER)) {
                pause.setString(1, key);
                pause.setObject(2, EXPIRED);
                setNow(pause, 3, clockNow());
                pause.setBoolean(4, paused);
                pause.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void park(Lease lease, ParkedEvent event) {
        LocalDateTime parkedAt = checkPark(lease, event);
        withConnection("parking event " + event.eventId() + " of subscription " + lease.key(), c -> {
            inOwnTransaction(c, () -> {
                parkOn(c, lease, event, parkedAt);
                return null;
            });
            return null;
        });
    }

    @Override
    public void park(Connection transaction, Lease lease, ParkedEvent event) {
        LocalDateTime parkedAt = checkPark(lease, event);
        onTransaction("parking event " + event.eventId() + " of subscription " + lease.key(), transaction, () -> {
            parkOn(transaction, lease, event, parkedAt);
            return null;
        });
    }

    @Override
    public boolean unpark(Connection transaction, String key, String eventId) {
        Objects.requireNonNull(transaction, "transaction");
        Validation.name("key", key);
        Validation.id("eventId", eventId);
        return onTransaction("unparking event " + eventId + " of subscription " + key, transaction, () -> {
            try (PreparedStatement delete = transaction.prepareStatement(DELETE_PARKED)) {
                delete.setString(1, key);
                delete.setString(2, eventId);
                return delete.executeUpdate() > 0;
            }
        });
    }

    /** Validates a park before touching the database; returns the entry's time as stored. */
    private static LocalDateTime checkPark(Lease lease, ParkedEvent event) {
        Validation.parkedUnder(lease, event);
        Instant at = event.parkedAt();
        if (at.isBefore(EARLIEST_INSTANT) || at.isAfter(LATEST_INSTANT)) {
            throw new IllegalArgumentException("parkedAt must be between " + EARLIEST_INSTANT + " and " + LATEST_INSTANT
                    + " (the range of a DATETIME), was " + at);
        }
        // DATETIME(6) keeps microseconds; MySQL would round the rest and MariaDB cut it, so cut it here.
        return LocalDateTime.ofInstant(at.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    }

    /** The park: the lease check, then the upsert, on a connection inside a transaction. */
    private void parkOn(Connection c, Lease lease, ParkedEvent event, LocalDateTime parkedAt) throws SQLException {
        LocalDateTime now = clockNow();
        try (PreparedStatement fence = c.prepareStatement(FENCE)) {
            setNow(fence, 1, now);
            fence.setString(2, lease.key());
            fence.setString(3, lease.workerId());
            fence.setLong(4, lease.token());
            setNow(fence, 5, now);
            if (fence.executeUpdate() == 0) {
                throw new LeaseLostException(lease.key(), lease.workerId());
            }
        }
        try (PreparedStatement upsert = c.prepareStatement(UPSERT_PARKED)) {
            upsert.setString(1, event.key());
            upsert.setString(2, event.eventId());
            upsert.setString(3, event.aggregatorType());
            upsert.setString(4, event.aggregatorId());
            upsert.setInt(5, event.version());
            upsert.setString(6, event.error());
            upsert.setInt(7, event.attempts());
            upsert.setObject(8, parkedAt);
            upsert.executeUpdate();
        }
    }

    @Override
    public List<ParkedEvent> parked(String key, int limit) {
        Validation.name("key", key);
        Validation.limit("limit", limit, Limits.PAGE_MAX_SIZE);
        return withConnection("listing the parked events of subscription " + key, c -> {
            try (PreparedStatement select = c.prepareStatement(SELECT_PARKED)) {
                select.setString(1, key);
                select.setInt(2, limit);
                List<ParkedEvent> entries = new ArrayList<>(Math.min(limit, 256));
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        entries.add(new ParkedEvent(
                                key,
                                EventSql.text(rs, 1),
                                EventSql.text(rs, 2),
                                EventSql.text(rs, 3),
                                rs.getInt(4),
                                rs.getString(5),
                                rs.getInt(6),
                                rs.getObject(7, LocalDateTime.class).toInstant(ZoneOffset.UTC)));
                    }
                }
                return List.copyOf(entries);
            }
        });
    }

    @Override
    public boolean unpark(String key, String eventId) {
        Validation.name("key", key);
        Validation.id("eventId", eventId);
        return withConnection("unparking event " + eventId + " of subscription " + key, c -> {
            try (PreparedStatement delete = c.prepareStatement(DELETE_PARKED)) {
                delete.setString(1, key);
                delete.setString(2, eventId);
                return delete.executeUpdate() > 0;
            }
        });
    }

    /**
     * Calls {@code listener} after each commit of a write through this executor, on the writing
     * thread, and after each pass of its sequencer that positioned events, on the sequencer's
     * thread. Only this process is told: commits of other processes are noticed when this
     * executor's sequencer happens to position them, and otherwise by polling.
     */
    @Override
    public Registration onCommit(Runnable listener) {
        return signal.register(listener);
    }

    /**
     * Runs {@code work} in one transaction on a connection of the executor's data source, at {@code
     * READ COMMITTED}, the level of every transaction of the executor. The connection's auto-commit
     * mode and isolation level are put back before it returns to the pool, whatever they were.
     */
    @Override
    public <T> T inTransaction(Work<T> work) {
        Objects.requireNonNull(work, "work");
        ensureOpen();
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            int isolation = c.getTransactionIsolation();
            try {
                if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                    c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                }
                if (autoCommit) {
                    c.setAutoCommit(false);
                }
                boolean committed = false;
                try {
                    T result = work.run(c);
                    c.commit();
                    committed = true;
                    return result;
                } finally {
                    if (!committed) {
                        rollbackQuietly(c);
                    }
                }
            } finally {
                restore(c, autoCommit, isolation);
            }
        } catch (SQLException e) {
            ensureOpen();
            throw MysqlErrors.failure("a transaction on " + description, e);
        }
    }

    /**
     * Runs statements on an application's transaction, translating SQL failures. A connection in
     * auto-commit mode is refused: each statement would commit on its own, and a checkpoint could
     * move without the work it belongs to.
     */
    private <T> T onTransaction(String operation, Connection transaction, TransactionWork<T> work) {
        Objects.requireNonNull(transaction, "transaction");
        ensureOpen();
        try {
            if (transaction.getAutoCommit()) {
                throw new IllegalArgumentException(
                        "the connection is in auto-commit mode; pass the connection of a transaction begun by"
                                + " inTransaction");
            }
            return work.run();
        } catch (SQLException e) {
            throw MysqlErrors.failure(operation, e);
        }
    }

    @Override
    public Optional<StoredSnapshot> snapshot(String projection, String aggregatorType, String aggregatorId) {
        Validation.name("projection", projection);
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        return withConnection("reading snapshot " + projection + " of " + aggregatorType + "/" + aggregatorId, c -> {
            try (PreparedStatement select = c.prepareStatement(SELECT_SNAPSHOT)) {
                select.setString(1, projection);
                select.setString(2, aggregatorType);
                select.setString(3, aggregatorId);
                try (ResultSet rs = select.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<StoredSnapshot>empty();
                    }
                    return Optional.of(new StoredSnapshot(
                            projection,
                            aggregatorType,
                            aggregatorId,
                            EventSql.text(rs, 1),
                            rs.getInt(2),
                            EventSql.bytes(rs, 3),
                            rs.getLong(4)));
                }
            }
        });
    }

    @Override
    public void saveSnapshot(StoredSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        withConnection("saving snapshot " + snapshot.projection(), c -> {
            try (PreparedStatement upsert = c.prepareStatement(UPSERT_SNAPSHOT)) {
                upsert.setString(1, snapshot.projection());
                upsert.setString(2, snapshot.aggregatorType());
                upsert.setString(3, snapshot.aggregatorId());
                upsert.setString(4, snapshot.revision());
                upsert.setInt(5, snapshot.version());
                upsert.setBytes(6, snapshot.data());
                upsert.setLong(7, snapshot.timestampMicros());
                upsert.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Stops the sequencer (after a last pass over this executor's writes) and closes the pool the
     * executor opened; a data source given to the builder stays open. Later calls throw a {@link
     * StoreException}. Closing again does nothing.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        sequencer.close();
        closeQuietly(sequencerPool);
        closeQuietly(ownPool);
    }

    @Override
    public String toString() {
        return "MysqlExecutor[" + description + ", store " + storeId + "]";
    }

    /** The store id, part of every cursor of this store. */
    String storeId() {
        return storeId;
    }

    /** The sequencer, for tests. */
    Sequencer sequencer() {
        return sequencer;
    }

    /** Work with one connection; SQL failures are translated by the caller. */
    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** Work inside a transaction. */
    @FunctionalInterface
    interface TransactionWork<T> {
        T run() throws SQLException;
    }

    private <T> T withConnection(String operation, SqlWork<T> work) {
        ensureOpen();
        try (Connection c = dataSource.getConnection()) {
            if (c.getAutoCommit()) {
                return work.run(c);
            }
            // A user's data source may hand out connections with auto-commit off; a single
            // statement would then be rolled back when the connection goes back to the pool.
            c.setAutoCommit(true);
            try {
                return work.run(c);
            } finally {
                c.setAutoCommit(false);
            }
        } catch (SQLException e) {
            ensureOpen();
            throw MysqlErrors.failure(operation, e);
        }
    }

    /**
     * A transaction of the executor's own on a connection of {@link #withConnection}, which is in
     * auto-commit mode and is put back in it.
     */
    private static <T> T inOwnTransaction(Connection c, TransactionWork<T> work) throws SQLException {
        c.setAutoCommit(false);
        boolean committed = false;
        try {
            T result = work.run();
            c.commit();
            committed = true;
            return result;
        } finally {
            if (!committed) {
                rollbackQuietly(c);
            }
            restoreAutoCommit(c);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new StoreException("the MySQL executor is closed (" + description + ")", null, false);
        }
    }

    /** The time by the configured clock, or {@code null} to use the database's. */
    private LocalDateTime clockNow() {
        return clock == null
                ? null
                : LocalDateTime.ofInstant(clock.instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    }

    private static void setNow(PreparedStatement statement, int index, LocalDateTime now) throws SQLException {
        if (now == null) {
            statement.setNull(index, Types.TIMESTAMP);
        } else {
            statement.setObject(index, now);
        }
    }

    /** {@code now + ttl}, rounded up to whole microseconds, saturated at the latest time MySQL stores. */
    static LocalDateTime plus(LocalDateTime now, Duration ttl) {
        Duration left = Duration.between(now, LATEST);
        if (ttl.compareTo(left) >= 0) {
            return LATEST;
        }
        LocalDateTime end = now.plus(ttl);
        LocalDateTime micros = end.truncatedTo(ChronoUnit.MICROS);
        return micros.equals(end) ? end : micros.plus(1, ChronoUnit.MICROS);
    }

    /**
     * Puts a connection back in auto-commit mode after a transaction. A failure here means the
     * connection broke; it must not hide the failure (or the result) of the transaction itself, and
     * the pool discards a broken connection anyway.
     */
    private static void restoreAutoCommit(Connection c) {
        try {
            c.setAutoCommit(true);
        } catch (SQLException e) {
            LOG.debug("Restoring auto-commit failed", e);
        }
    }

    /**
     * Puts back a connection's auto-commit mode and isolation level after {@link #inTransaction}.
     * Like {@link #restoreAutoCommit}, a failure must not hide the transaction's outcome.
     */
    private static void restore(Connection c, boolean autoCommit, int isolation) {
        try {
            if (c.getAutoCommit() != autoCommit) {
                c.setAutoCommit(autoCommit);
            }
            if (c.getTransactionIsolation() != isolation) {
                c.setTransactionIsolation(isolation);
            }
        } catch (SQLException e) {
            LOG.debug("Restoring the connection's settings failed", e);
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            // The failure that got us here may have ended the transaction already; it is what counts.
            LOG.debug("Rollback failed", e);
        }
    }

    private static void closeQuietly(HikariDataSource pool) {
        if (pool != null) {
            try {
                pool.close();
            } catch (RuntimeException e) {
                LOG.warn("Closing the connection pool failed", e);
            }
        }
    }

    private static SQLException sqlCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SQLException s) {
                return s;
            }
        }
        return null;
    }

    /** The URL without its password, fit for messages and logs. */
    static String redact(String jdbcUrl) {
        return SECRET.matcher(jdbcUrl).replaceAll("$1=***");
    }
}
