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
import java.sql.Statement;
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
 * horizon; MySQL and MariaDB expose none, so this executor keeps one itself:
 *
 * <ol>
 *   <li>A writer inserts its events and commits. The {@code AUTO_INCREMENT} value a row takes is its
 *       {@code position}, the order readers page by. Writers touch nothing shared but the table
 *       and its indexes, so they commit as concurrently as plain inserts, and each event is
 *       written once.
 *   <li>The <em>horizon</em> is {@code evento_sequence.next_position}. Readers only return rows
 *       below it, and read it in the same statement as the rows.
 *   <li>A <em>sequencer</em> raises the horizon, in passes. A pass reads the committed rows above
 *       it (one plain {@code SELECT}: InnoDB's consistent read shows committed rows only, and never
 *       waits for the writers still in flight) and raises it over the positions that follow each
 *       other without a gap. A gap is a position whose row is not committed: its transaction is in
 *       flight, or rolled back (a conflict, a failure), which burns the value for good. The pass
 *       waits while a gap is young; then it inserts a placeholder row at that position, waiting
 *       for no lock. If that succeeds, the position was burnt, and the placeholder takes it for
 *       good; if the row is committed by then, the pass walks on; if the row is locked by its
 *       writer, the transaction is in flight and the horizon waits for it.
 * </ol>
 *
 * <p>Why no reader can skip an event. Positions are the primary key, so each belongs to one row
 * at most, for good: rows are never deleted, and a placeholder holds a burnt position as firmly as
 * an event holds its own. A pass publishes a horizon {@code h} only after it saw every position
 * below {@code h} taken by a committed row (an event, or a placeholder it committed itself before
 * publishing). So once a reader's snapshot shows the horizon {@code h}, it shows every row below
 * {@code h}, and no row can ever appear below {@code h} later: a reader at position {@code p} asking
 * for rows after {@code p} sees, now or later, every event after {@code p}. The horizon only grows
 * ({@code GREATEST} of the stored value and the pass's own), so the order a reader observed is
 * final. A rolled-back write is never seen: its rows are gone, and their positions sealed.
 *
 * <p>Why every committed event becomes visible. A write wakes its executor's sequencer after its
 * commit, and the pass that follows starts after the commit, so it sees the row. If that process
 * dies between the commit and the pass, every executor on the database also runs a pass every
 * {@linkplain Builder#pollInterval(Duration) poll interval}. A write whose transaction stays open
 * holds the horizon back until it ends, as an open transaction holds back PostgreSQL's snapshot
 * horizon: the events committed after it wait for it, none is lost. The executor's own writes are
 * one statement, or one transaction of a few statements for a commit of more than 500 events; only
 * a writer stalled in the middle of one (waiting for a lock, a process frozen, a connection lost
 * without a reset, which the server ends at its {@code wait_timeout}) holds the horizon back for
 * long. An insert that stalls for 100 ms between taking its positions and writing its rows (a
 * starved server) may find them sealed: it wrote nothing, and {@link #write} tries it again with new
 * positions, up to three times in all.
 *
 * <p>Why there is no lease. Several executors (in several processes) may run passes at once. Each
 * publishes a horizon it proved, and the larger wins, so no pass needs to know of another. A
 * placeholder is only ever inserted at a position where no row was committed, and the primary key
 * lets one insert win. No lock is held between statements, so a process that stalls or dies cannot
 * block the others.
 *
 * <p>InnoDB details that matter. Sealing a gap cannot take a position from a live write: the insert
 * that took it writes its row within the same statement, a moment later, and while the row is
 * uncommitted InnoDB's duplicate check on the placeholder waits for the writer's lock, which, with
 * no lock wait allowed, fails the placeholder instead. The pass leaves a gap alone for 100 ms
 * first, so that it does not even try while a statement is writing its rows. (Only a statement
 * stalled for longer between taking a position and writing the row, by a lock of another
 * transaction's making, could lose its position to a placeholder; it then fails with a transient
 * {@link StoreException}, and a retry takes new positions.) A placeholder may also be refused while
 * another writer waits for a lock near that position; the pass then only tries again later. A
 * multi-row insert takes consecutive positions (simple inserts do, in every {@code
 * innodb_autoinc_lock_mode}): a writer learns the first from the server's reply, and its readers
 * wait for the horizon to pass the last. The horizon itself does not depend on it. The pass runs at {@code READ COMMITTED} (the executor's own pool runs
 * at that level; on a connection of an application's data source the sequencer sets it for the
 * pass).
 *
 * <p>Within one aggregate, version order is position order: version {@code v + 1} is inserted only
 * after version {@code v} committed, so it takes a larger value. A horizon never falls inside a
 * commit: every row records the version that ends its commit, and a pass raises the horizon only
 * to a row where no commit is open. Readers of this executor see their own writes: a {@link
 * #read(ReadQuery)} first waits until the horizon is past the writes this executor committed
 * before it: one pass usually, about 100 ms after a rolled-back write, and at most 10 s behind a
 * write left open (then it reads what is visible). Events written through other executors appear as soon as some
 * executor's pass has run. {@link #readAggregate} and {@link #lastEvent} read every committed row,
 * below the horizon or not, and the version check of a write never looks at it.
 *
 * <p>The cost: one {@code SELECT} over the new rows' primary key and one single-row update per
 * pass, for everything committed meanwhile, off the writers' path, on a connection of the
 * sequencer's own (with the executor's own pool), so that a pass never makes a writer wait for a
 * connection. While commits stream in, a pass waits the {@linkplain Builder#gatherDelay(Duration)
 * gather delay} (20 ms) after the previous one unless a reader of this executor is waiting, so
 * that each pass covers many commits. Rolled-back writes cost a placeholder row per burnt
 * position, and hold the horizon back for about 100 ms.
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
 * executor, at once, and the passes of its sequencer that raised the horizon. MySQL and MariaDB
 * have no portable way to notify another connection, so subscribers of other processes learn of
 * new events by polling, or when their own executor's sequencer happens to raise the horizon over
 * them.
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
         * How often the sequencer looks for committed events above the horizon when nothing wakes
         * it: the events of other processes, and of a process that died between its commit and its
         * own sequencer's pass. A local commit wakes it at once. 500 ms unless set.
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
         * reader of this executor is waiting: a pass then covers everything that committed meanwhile
         * with one scan and one update, which costs the server (and so the writers) less than many
         * small passes. Events of this executor's commits become readable to other processes up to this
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
                    checkAutoIncrementStep(c);
                    applied = MysqlMigrations.migrate(c, Clock.systemUTC(), Duration.ofSeconds(60));
                    keepAutoIncrementAboveHorizon(c, description);
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

    /**
     * Refuses a server whose auto-increment values skip numbers on purpose (Galera and other
     * multi-primary setups): the horizon would take every skipped value for a burnt one and seal
     * it, a placeholder row per event.
     */
    private static void checkAutoIncrementStep(Connection c) throws SQLException {
        try (PreparedStatement select = c.prepareStatement("SELECT @@SESSION.auto_increment_increment");
                ResultSet rs = select.executeQuery()) {
            rs.next();
            long step = rs.getLong(1);
            if (step != 1) {
                throw new StoreException(
                        "auto_increment_increment is " + step + " on this connection; evento-mysql needs 1"
                                + " (its positions are AUTO_INCREMENT values, and it takes a skipped one for a"
                                + " rolled-back write). Multi-primary setups such as Galera are not supported",
                        null,
                        false);
            }
        }
    }

    /**
     * Sets the table's {@code AUTO_INCREMENT} counter at the horizon if it fell below it, which
     * only happens when rows were removed behind the library's back ({@code TRUNCATE}, a partial
     * restore): new events would otherwise take positions below the horizon, visible the moment
     * they commit, in commit order, which readers could skip.
     */
    static void keepAutoIncrementAboveHorizon(Connection c, String description) throws SQLException {
        long next = Sequencer.readNext(c);
        long last;
        try (PreparedStatement select = c.prepareStatement("SELECT COALESCE(MAX(position), 0) FROM evento_event");
                ResultSet rs = select.executeQuery()) {
            rs.next();
            last = rs.getLong(1);
        }
        if (next > last + 1) {
            LOG.warn(
                    "The last event of {} is at position {}, below the horizon {}: rows were removed."
                            + " Moving evento_event's AUTO_INCREMENT to the horizon",
                    description,
                    last,
                    next);
            try (Statement alter = c.createStatement()) {
                // Only raises the counter: InnoDB keeps it above the largest row anyway.
                alter.execute("ALTER TABLE evento_event AUTO_INCREMENT = " + next);
            }
        }
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
        long[] last = new long[1];
        boolean[] sealed = new boolean[1];
        SqlWork<Optional<String>> attempt = c -> {
            sealed[0] = false;
            Optional<String> key = first.routingKey();
            if (expected > 0) {
                Optional<Optional<String>> fact = known.routingKeyIfAtVersion(type, id, expected);
                key = fact.isPresent() ? fact.get() : routingKeyAt(c, type, id, expected);
            }
            try {
                last[0] = insert(c, events, key, commitEnd);
            } catch (SQLException e) {
                if (MysqlErrors.isDuplicateKey(e)) {
                    RuntimeException failure = duplicate(c, type, id, expected, e);
                    sealed[0] = !(failure instanceof ConcurrencyException);
                    throw failure;
                }
                throw e;
            }
            return key;
        };
        Optional<String> routingKey;
        for (int attempts = 1; ; attempts++) {
            try {
                routingKey = withConnection("writing events to " + type + "/" + id, attempt);
                break;
            } catch (StoreException e) {
                // Sealed while it stalled: nothing was written, and a new insert takes new positions.
                // The sequencer seals only positions that stalled for SEAL_AFTER, so a second stall in
                // a row is rare and a third means the server is starved: then the caller hears of it.
                if (!sealed[0] || attempts == SEALED_ATTEMPTS) {
                    throw e;
                }
            }
        }
        known.record(type, id, commitEnd, routingKey);
        // Report the write before waking anyone: a woken reader's read then waits for the horizon
        // to pass it.
        sequencer.committed(last[0]);
        signal.fire();
    }

    /**
     * What a duplicate key on insert means: a conflict if version {@code expected + 1} exists (the
     * unique key; a duplicate is only reported once the other writer committed), else the primary
     * key: the sequencer sealed the positions the insert took while it stalled, taking them for a
     * rolled-back write's. Then nothing was written, and a retry takes new positions.
     */
    static RuntimeException duplicate(Connection c, String type, String id, int expected, SQLException e)
            throws SQLException {
        try (PreparedStatement select = c.prepareStatement(EventSql.ROUTING_KEY_AT_VERSION)) {
            select.setString(1, type);
            select.setString(2, id);
            select.setInt(3, expected + 1);
            try (ResultSet rs = select.executeQuery()) {
                if (rs.next()) {
                    return new ConcurrencyException(type, id, expected, e);
                }
            }
        }
        return new StoreException(
                "writing events to " + type + "/" + id + " failed (transient, a retry may succeed): the positions"
                        + " its insert took were sealed while it stalled, as if it had rolled back",
                e,
                true);
    }

    /** How many times {@link #write} tries an insert whose positions were sealed while it stalled. */
    private static final int SEALED_ATTEMPTS = 3;

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

    /**
     * Inserts the events: one auto-committed statement if they fit in one, else one transaction.
     *
     * @return the position the last event took
     */
    private static long insert(Connection c, List<StoredEvent> events, Optional<String> routingKey, int commitEnd)
            throws SQLException {
        int rows = EventSql.rowsPerInsert(events, 0);
        if (rows == events.size()) {
            return insertRows(c, events, 0, rows, routingKey, commitEnd);
        }
        c.setAutoCommit(false);
        boolean committed = false;
        try {
            int written = 0;
            long last = 0;
            while (written < events.size()) {
                rows = EventSql.rowsPerInsert(events, written);
                last = insertRows(c, events, written, rows, routingKey, commitEnd);
                written += rows;
            }
            c.commit();
            committed = true;
            return last;
        } finally {
            if (!committed) {
                rollbackQuietly(c);
            }
            restoreAutoCommit(c);
        }
    }

    /**
     * Inserts {@code rows} events in one statement.
     *
     * @return the position the last of them took: a multi-row insert takes consecutive values, and
     *     the driver reports the first (from the server's reply; no extra round trip)
     */
    private static long insertRows(
            Connection c, List<StoredEvent> events, int from, int rows, Optional<String> routingKey, int commitEnd)
            throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(EventSql.insert(rows), Statement.RETURN_GENERATED_KEYS)) {
            for (int row = 0; row < rows; row++) {
                EventSql.bindInsert(insert, row, events.get(from + row), routingKey, commitEnd);
            }
            insert.executeUpdate();
            try (ResultSet keys = insert.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("the insert reported no AUTO_INCREMENT value for evento_event.position");
                }
                return keys.getLong(1) + rows - 1;
            }
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
                    "Reading {} before the horizon passed this executor's latest writes: a transaction that"
                            + " took an earlier position is still open, or the sequencer is failing",
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
     * thread, and after each pass of its sequencer that raised the horizon, on the sequencer's
     * thread. Only this process is told: commits of other processes are noticed when this
     * executor's sequencer happens to raise the horizon over them, and otherwise by polling.
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
