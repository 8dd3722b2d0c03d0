package io.evento.sqlite;

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
import io.evento.internal.sql.Migration;
import io.evento.internal.sql.MigrationRunner;
import io.evento.internal.sql.SqlQuery;
import io.evento.spi.JdbcExecutor;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import io.evento.spi.SubscriberState;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * The embedded SQLite executor: the whole store in one file, Evento's default.
 *
 * <pre>{@code
 * try (SqliteExecutor executor = SqliteExecutor.open(Path.of("data/events.db"))) {
 *     Evento evento = Evento.builder(executor).register(Account.class).build();
 *     ...
 * }
 * }</pre>
 *
 * <h2>How it works</h2>
 *
 * <p>The database runs in WAL mode. One connection writes, one write at a time, each in a {@code
 * BEGIN IMMEDIATE} transaction; a small pool of read-only connections reads in parallel with it and
 * with each other, always seeing committed data only. The global position of an event is the
 * table's rowid, assigned by the single writer in commit order: a reader paging forward can never
 * skip an event. Several executors, in one process or in several, may open the same file: their
 * writes take turns (waiting up to the {@linkplain Builder#busyTimeout(Duration) busy timeout}) and
 * each sees the others' commits.
 *
 * <p>Besides the file itself, SQLite keeps a {@code -wal} and a {@code -shm} file next to it while
 * it is open; copy all three, or close every executor first, to back it up.
 *
 * <h2>Schema and migrations</h2>
 *
 * <p>{@link #open(Path)} creates the file and its schema if they are missing, and applies the
 * migrations a newer release brings. Applied versions are recorded with their checksums in the
 * table {@code evento_schema_history}; a migration that changed after it was applied, or a database
 * migrated by a newer release, is refused with a {@link StoreException} instead of being used.
 * Opening from several processes at once is safe: the migrations run inside the database's write
 * lock. The tables are {@code evento_event}, {@code evento_subscriber}, {@code evento_parked}, {@code
 * evento_snapshot} and {@code evento_meta}.
 *
 * <p>The migration scripts are plain SQL resources named like Flyway's versioned migrations, in the
 * folder {@value #MIGRATIONS_LOCATION} of this module's jar. To manage the schema with Flyway
 * instead, add the location {@code classpath:db/evento/sqlite}; the scripts are idempotent, so an
 * executor opening a file migrated that way finds its tables and only records its own history.
 *
 * <h2>Transactions shared with the application</h2>
 *
 * <p>As a {@link JdbcExecutor}, it runs application work in one transaction with a subscription's
 * checkpoint ({@link #inTransaction}, {@link #acknowledge(Connection, Lease, String)}, {@link
 * #park(Connection, Lease, ParkedEvent)}), so a read model kept in the same file is updated exactly
 * once per event. That transaction holds the store's single write lock: every other write waits
 * for it, and the executor's own writing methods cannot be called from inside it.
 *
 * <h2>Commit notifications</h2>
 *
 * <p>{@link #onCommit} listeners are called after each {@link #write} of this executor, on the
 * writing thread, once the events are readable. Writes by other executors opened on the same file,
 * in this process or in another, are not noticed: their subscribers still see the events at their
 * next poll.
 *
 * <h2>Durability</h2>
 *
 * <p>By default ({@link Durability#NORMAL}) a commit survives a crash of the application but the
 * last commits may be lost on a power failure or operating-system crash; the file is never
 * corrupted. {@link Durability#FULL} syncs every commit to disk, at a large cost in write
 * throughput.
 *
 * <h2>Errors</h2>
 *
 * <p>Database failures are {@link StoreException}s, transient when SQLite reports the file busy or
 * locked, or an I/O error or full disk. A conflicting write is a {@link
 * io.evento.ConcurrencyException}, detected by the unique key {@code (aggregator_type,
 * aggregator_id, version)} and SQLite's result code. After {@link #close()} every call throws a
 * {@link StoreException}.
 *
 * <p>Instances are thread-safe; every method blocks and may be called from virtual threads.
 *
 * <p>The SQLite driver (sqlite-jdbc) loads a native library. Recent JDKs print a warning for that
 * unless the application allows it: {@code --enable-native-access=ALL-UNNAMED} on the class path,
 * {@code --enable-native-access=org.xerial.sqlitejdbc} on the module path.
 */
public final class SqliteExecutor implements JdbcExecutor {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteExecutor.class);

    /** The class-path folder holding the migration scripts. */
    public static final String MIGRATIONS_LOCATION = "db/evento/sqlite";

    /** The migration scripts in {@link #MIGRATIONS_LOCATION}, in version order. */
    static final List<String> MIGRATION_FILES =
            List.of("V1__create_event_store.sql", "V2__subscriber_pause_and_parked_events.sql");

    /** The table recording the applied migrations. */
    static final String SCHEMA_HISTORY_TABLE = "evento_schema_history";

    private static final int WRITER_STATEMENTS = 48;
    private static final long MICROS_PER_SECOND = 1_000_000L;

    /** The worker id of a subscriber row that nobody holds since a reset or ever held (see V2). */
    private static final String NO_WORKER = "";

    private static final String SELECT_LEASE =
            "SELECT worker_id, token, expires_at, paused FROM evento_subscriber WHERE key = ?";
    private static final String INSERT_SUBSCRIBER =
            "INSERT INTO evento_subscriber (key, worker_id, token, expires_at, cursor, updated_at, paused)"
                    + " VALUES (?, ?, ?, ?, NULL, ?, 0)";
    private static final String UPDATE_LEASE =
            "UPDATE evento_subscriber SET worker_id = ?, token = ?, expires_at = ?, updated_at = ? WHERE key = ?";
    private static final String RELEASE_LEASE = "UPDATE evento_subscriber SET expires_at = 0, updated_at = ?"
            + " WHERE key = ? AND worker_id = ? AND token = ? AND expires_at > ?";
    private static final String ACKNOWLEDGE = "UPDATE evento_subscriber SET cursor = ?, updated_at = ?"
            + " WHERE key = ? AND worker_id = ? AND token = ? AND expires_at > ?";
    private static final String SELECT_SUBSCRIBER =
            "SELECT cursor, worker_id, token, expires_at, paused FROM evento_subscriber WHERE key = ?";
    // Revoking keeps the token, so whoever takes the lease next, the former holder included, gets a
    // larger one (it is not the same worker any more: the row has none).
    private static final String RESET_SUBSCRIBER =
            "INSERT INTO evento_subscriber (key, worker_id, token, expires_at, cursor, updated_at, paused)"
                    + " VALUES (?, '" + NO_WORKER + "', 0, 0, ?, ?, 0) ON CONFLICT (key) DO UPDATE SET"
                    + " worker_id = excluded.worker_id, expires_at = 0, cursor = excluded.cursor,"
                    + " updated_at = excluded.updated_at";
    private static final String PAUSE_SUBSCRIBER =
            "INSERT INTO evento_subscriber (key, worker_id, token, expires_at, cursor, updated_at, paused)"
                    + " VALUES (?, '" + NO_WORKER + "', 0, 0, NULL, ?, ?) ON CONFLICT (key) DO UPDATE SET"
                    + " paused = excluded.paused, updated_at = excluded.updated_at";
    // Fenced in one statement: the row is written only if the lease is held, as in ACKNOWLEDGE. The
    // WHERE also resolves SQLite's parsing ambiguity between a join's ON and the upsert's ON CONFLICT.
    // DO UPDATE keeps the row, hence its seq, hence its place in the oldest-first order.
    static final String PARK = "INSERT INTO evento_parked (key, event_id, aggregator_type, aggregator_id,"
            + " version, error, attempts, parked_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?"
            + " WHERE EXISTS (SELECT 1 FROM evento_subscriber"
            + " WHERE key = ? AND worker_id = ? AND token = ? AND expires_at > ?)"
            + " ON CONFLICT (key, event_id) DO UPDATE SET aggregator_type = excluded.aggregator_type,"
            + " aggregator_id = excluded.aggregator_id, version = excluded.version, error = excluded.error,"
            + " attempts = excluded.attempts, parked_at = excluded.parked_at";
    static final String SELECT_PARKED = "SELECT event_id, aggregator_type, aggregator_id, version, error,"
            + " attempts, parked_at FROM evento_parked WHERE key = ? ORDER BY seq LIMIT ?";
    static final String UNPARK = "DELETE FROM evento_parked WHERE key = ? AND event_id = ?";
    private static final String SELECT_SNAPSHOT = "SELECT revision, version, data, timestamp FROM evento_snapshot"
            + " WHERE projection = ? AND aggregator_type = ? AND aggregator_id = ?";
    private static final String UPSERT_SNAPSHOT =
            "INSERT INTO evento_snapshot (projection, aggregator_type, aggregator_id, revision, version, data, timestamp)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (projection, aggregator_type, aggregator_id)"
                    + " DO UPDATE SET revision = excluded.revision, version = excluded.version,"
                    + " data = excluded.data, timestamp = excluded.timestamp";

    /**
     * How hard SQLite works to make a commit survive a crash of the machine (SQLite's {@code PRAGMA
     * synchronous} in WAL mode).
     */
    public enum Durability {
        /**
         * Commits survive a crash of the application; a power loss or operating-system crash may roll
         * back the most recent commits, but never corrupts the file. The WAL is synced at
         * checkpoints only. The default, and by far the faster.
         */
        NORMAL,
        /** Every commit is synced to disk before it returns, so it also survives a power loss. */
        FULL
    }

    private final Path file;
    private final String storeId;
    private final Clock clock;
    private final Writer writer;
    private final ReaderPool readers;
    private final CommitSignal signal = new CommitSignal();
    private final String closedMessage;
    private volatile boolean closed;

    private SqliteExecutor(Path file, String storeId, Clock clock, Writer writer, ReaderPool readers, String closed) {
        this.file = file;
        this.storeId = storeId;
        this.clock = clock;
        this.writer = writer;
        this.readers = readers;
        this.closedMessage = closed;
    }

    /**
     * Opens the store in {@code file} with the default settings, creating the file, its parent
     * folders and the schema if they are missing.
     *
     * @param file the database file
     * @return the executor
     * @throws StoreException if the file cannot be opened or migrated
     */
    public static SqliteExecutor open(Path file) {
        return builder(file).open();
    }

    /**
     * A builder to open the store in {@code file} with other settings.
     *
     * @param file the database file
     * @return the builder
     */
    public static Builder builder(Path file) {
        return new Builder(file);
    }

    /**
     * Settings of a {@link SqliteExecutor}. Each may be set once; a bad value is refused at once.
     *
     * <pre>{@code
     * SqliteExecutor executor = SqliteExecutor.builder(Path.of("events.db"))
     *         .synchronous(SqliteExecutor.Durability.FULL)
     *         .busyTimeout(Duration.ofSeconds(30))
     *         .readConnections(8)
     *         .open();
     * }</pre>
     */
    public static final class Builder {
        /** The busy timeout unless set: how long a write waits for another connection's write. */
        public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(5);

        /** The number of read connections unless set. */
        public static final int DEFAULT_READ_CONNECTIONS = 4;

        /** The largest number of read connections accepted. */
        public static final int MAX_READ_CONNECTIONS = 64;

        private final Path file;
        private Durability durability;
        private Duration busyTimeout;
        private int readConnections;
        private Clock clock;

        private Builder(Path file) {
            Objects.requireNonNull(file, "file");
            if (file.getFileSystem() != FileSystems.getDefault()) {
                throw new IllegalArgumentException(
                        "SQLite needs a file of the default file system, not of " + file.getFileSystem() + ": " + file);
            }
            Path absolute = file.toAbsolutePath().normalize();
            if (absolute.toString().indexOf('?') >= 0) {
                throw new IllegalArgumentException("the SQLite file path must not contain '?': " + absolute);
            }
            if (Files.isDirectory(absolute)) {
                throw new IllegalArgumentException("the SQLite file is a directory: " + absolute);
            }
            this.file = absolute;
        }

        /**
         * How hard commits are made to survive a machine crash; {@link Durability#NORMAL} unless set.
         *
         * @param durability the durability
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder synchronous(Durability durability) {
            Objects.requireNonNull(durability, "durability");
            if (this.durability != null) {
                throw new IllegalStateException("synchronous was already set to " + this.durability);
            }
            this.durability = durability;
            return this;
        }

        /**
         * How long an operation waits for the file while another connection (of another executor or
         * process) holds its write lock, before failing with a transient {@link StoreException};
         * 5 seconds unless set. Counted in whole milliseconds, rounded up.
         *
         * @param timeout zero or more, at most {@link Integer#MAX_VALUE} milliseconds
         * @return this builder
         * @throws IllegalArgumentException if negative or too long
         * @throws IllegalStateException if already set
         */
        public Builder busyTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (this.busyTimeout != null) {
                throw new IllegalStateException("busy timeout was already set to " + this.busyTimeout);
            }
            if (timeout.isNegative() || timeout.compareTo(Duration.ofMillis(Integer.MAX_VALUE)) > 0) {
                throw new IllegalArgumentException(
                        "busy timeout must be between 0 and " + Integer.MAX_VALUE + " ms, was " + timeout);
            }
            this.busyTimeout = timeout;
            return this;
        }

        /**
         * The most read-only connections open at once, so the most reads running in parallel; {@value
         * #DEFAULT_READ_CONNECTIONS} unless set. They are opened when first needed.
         *
         * @param count from 1 to {@value #MAX_READ_CONNECTIONS}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if already set
         */
        public Builder readConnections(int count) {
            if (this.readConnections != 0) {
                throw new IllegalStateException("read connections were already set to " + this.readConnections);
            }
            if (count < 1 || count > MAX_READ_CONNECTIONS) {
                throw new IllegalArgumentException(
                        "read connections must be between 1 and " + MAX_READ_CONNECTIONS + ", was " + count);
            }
            this.readConnections = count;
            return this;
        }

        /**
         * The clock for lease expiry and bookkeeping timestamps; the system clock unless set. Event
         * timestamps come with the events.
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
         * Opens the store, creating the file and schema if missing and applying pending migrations.
         *
         * @return the executor
         * @throws StoreException if the file cannot be opened or migrated
         */
        public SqliteExecutor open() {
            return SqliteExecutor.open(
                    file,
                    durability == null ? Durability.NORMAL : durability,
                    busyTimeout == null ? DEFAULT_BUSY_TIMEOUT : busyTimeout,
                    readConnections == 0 ? DEFAULT_READ_CONNECTIONS : readConnections,
                    clock == null ? Clock.systemUTC() : clock);
        }
    }

    private static SqliteExecutor open(
            Path file, Durability durability, Duration busyTimeout, int readConnections, Clock clock) {
        try {
            Path parent = file.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new StoreException("cannot create the folder of SQLite file " + file + ": " + e, e, false);
        }
        int busyMillis =
                (int) Math.min(Integer.MAX_VALUE, busyTimeout.plusNanos(999_999).toMillis());
        String closedMessage = "the SQLite executor is closed (" + file + ")";
        Statements writerDb = null;
        try {
            writerDb = new Statements(connect(file, false, busyMillis), WRITER_STATEMENTS);
            Connection connection = writerDb.connection();
            try (Statement statement = connection.createStatement()) {
                enableWal(statement, file, busyMillis);
                statement.execute("PRAGMA synchronous = " + durability.name());
            }
            List<Migration> applied = migrationRunner(clock).migrate(connection);
            String storeId = readStoreId(connection, file);
            LOG.debug(
                    "Opened SQLite store {} at {} ({} migrations applied, durability {})",
                    storeId,
                    file,
                    applied.size(),
                    durability);
            ReaderPool readers = new ReaderPool(readConnections, () -> connect(file, true, busyMillis), closedMessage);
            return new SqliteExecutor(
                    file, storeId, clock, new Writer(writerDb, closedMessage), readers, closedMessage);
        } catch (SQLException e) {
            closeQuietly(writerDb);
            throw SqliteErrors.failure("opening SQLite file " + file, e);
        } catch (IllegalStateException e) {
            closeQuietly(writerDb);
            throw new StoreException("cannot open SQLite file " + file + ": " + e.getMessage(), e, false);
        } catch (RuntimeException | Error e) {
            closeQuietly(writerDb);
            throw e;
        }
    }

    /** The migration runner of the SQLite schema. */
    static MigrationRunner migrationRunner(Clock clock) {
        return new MigrationRunner(
                SCHEMA_HISTORY_TABLE,
                List.of("BEGIN IMMEDIATE"),
                Migration.load(SqliteExecutor.class, MIGRATIONS_LOCATION, MIGRATION_FILES),
                clock);
    }

    private static Connection connect(Path file, boolean readOnly, int busyTimeoutMillis) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(readOnly);
        config.setBusyTimeout(busyTimeoutMillis);
        return config.createConnection("jdbc:sqlite:" + file);
    }

    private static void enableWal(Statement statement, Path file, int busyMillis) throws SQLException {
        // Persistent: once set, the file stays in WAL mode for every later connection. Switching
        // needs an exclusive lock, and SQLite answers SQLITE_BUSY at once, without its busy handler,
        // while another process or connection opens the same new file: wait for it like the busy
        // timeout would.
        long deadline = System.nanoTime() + Duration.ofMillis(busyMillis).toNanos();
        while (true) {
            try {
                switchToWal(statement, file);
                return;
            } catch (SQLException e) {
                int code = SqliteErrors.resultCode(e) & 0xFF;
                boolean busy = code == SqliteErrors.SQLITE_BUSY || code == SqliteErrors.SQLITE_LOCKED;
                if (!busy || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                try {
                    Thread.sleep(
                            Duration.ofMillis(1 + ThreadLocalRandom.current().nextInt(10)));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static void switchToWal(Statement statement, Path file) throws SQLException {
        try (ResultSet rs = statement.executeQuery("PRAGMA journal_mode = WAL")) {
            String mode = rs.next() ? rs.getString(1) : "unknown";
            if (!"wal".equalsIgnoreCase(mode)) {
                throw new StoreException(
                        "SQLite could not switch " + file + " to WAL mode (it stays in '" + mode
                                + "' mode); the file system may not support the shared memory WAL needs",
                        null,
                        false);
            }
        }
    }

    private static String readStoreId(Connection connection, Path file) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT value FROM evento_meta WHERE key = 'store_id'")) {
            if (!rs.next()) {
                throw new StoreException("SQLite file " + file + " has no store id in evento_meta", null, false);
            }
            return rs.getString(1);
        }
    }

    private static void closeQuietly(Statements db) {
        if (db != null) {
            db.close();
        }
    }

    @Override
    public void write(List<StoredEvent> events) {
        int expected = WriteBatch.expectedVersion(events);
        StoredEvent first = events.getFirst();
        String type = first.aggregatorType();
        String id = first.aggregatorId();
        writer.transaction("writing events to " + type + "/" + id, db -> {
            Optional<String> routingKey = first.routingKey();
            if (expected > 0) {
                // The aggregate must be at `expected`: that version must exist (checked here) and the
                // next must not (the unique key refuses it below). Its routing key is the aggregate's.
                PreparedStatement current = db.prepare(EventSql.ROUTING_KEY_AT_VERSION);
                current.setString(1, type);
                current.setString(2, id);
                current.setInt(3, expected);
                try (ResultSet rs = current.executeQuery()) {
                    if (!rs.next()) {
                        throw new ConcurrencyException(type, id, expected, null);
                    }
                    routingKey = Optional.ofNullable(rs.getString(1));
                }
            }
            try {
                int written = 0;
                while (written < events.size()) {
                    int rows = EventSql.rowsPerInsert(events.size() - written);
                    PreparedStatement insert = db.prepare(EventSql.insert(rows));
                    for (int row = 0; row < rows; row++) {
                        EventSql.bindInsert(insert, row, events.get(written + row), routingKey);
                    }
                    insert.executeUpdate();
                    written += rows;
                }
            } catch (SQLException e) {
                if (SqliteErrors.isUniqueViolation(e)) {
                    throw new ConcurrencyException(type, id, expected, e);
                }
                throw e;
            }
            return null;
        });
        // After the writer's lock is released, so listeners never delay the next write.
        signal.fire();
    }

    @Override
    public Page<StoredEvent> read(ReadQuery query) {
        Objects.requireNonNull(query, "query");
        ensureOpen();
        PageRequest page = query.page();
        Long bound = page.cursor().map(c -> Cursors.decode(storeId, c, 1)[0]).orElse(null);
        SqlQuery sql = EventSql.page(query.filters(), query.routing(), page.isForward(), bound, page.size() + 1);
        List<Edge<StoredEvent>> edges = readers.read("reading events", db -> {
            PreparedStatement statement = db.prepare(sql.sql());
            sql.bind(statement);
            List<Edge<StoredEvent>> rows = new ArrayList<>(Math.min(page.size() + 1, 256));
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    long position = EventSql.position(rs);
                    rows.add(Edge.lazy(EventSql.event(rs), () -> Cursors.encode(storeId, position)));
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
        return readers.read("reading aggregate " + aggregatorType + "/" + aggregatorId, db -> {
            PreparedStatement statement = db.prepare(EventSql.READ_AGGREGATE);
            statement.setString(1, aggregatorType);
            statement.setString(2, aggregatorId);
            statement.setInt(3, afterVersion);
            statement.setInt(4, limit);
            List<StoredEvent> events = new ArrayList<>(Math.min(limit, 256));
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    events.add(EventSql.event(rs));
                }
            }
            return List.copyOf(events);
        });
    }

    @Override
    public Optional<StoredEvent> lastEvent(String aggregatorType, String aggregatorId) {
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        return readers.read("reading the last event of " + aggregatorType + "/" + aggregatorId, db -> {
            PreparedStatement statement = db.prepare(EventSql.LAST_EVENT);
            statement.setString(1, aggregatorType);
            statement.setString(2, aggregatorId);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? Optional.of(EventSql.event(rs)) : Optional.empty();
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
        return writer.transaction("acquiring the lease of subscription " + key, db -> {
            long now = micros(clock.instant());
            PreparedStatement select = db.prepare(SELECT_LEASE);
            select.setString(1, key);
            boolean exists;
            String owner = NO_WORKER;
            long token = 0;
            long expiresAt = 0;
            boolean paused = false;
            try (ResultSet rs = select.executeQuery()) {
                exists = rs.next();
                if (exists) {
                    owner = rs.getString(1);
                    token = rs.getLong(2);
                    expiresAt = rs.getLong(3);
                    paused = rs.getBoolean(4);
                }
            }
            // A paused key refuses its own holder too: that is how a pause stops a running worker.
            if (paused || (!owner.equals(NO_WORKER) && !owner.equals(workerId) && expiresAt > now)) {
                return Optional.<Lease>empty();
            }
            // The token grows whenever the lease changes hands, so a former owner is fenced off.
            long newToken = !exists ? 1 : owner.equals(workerId) ? token : token + 1;
            long newExpiry = saturatedAdd(now, ceilMicros(ttl));
            if (exists) {
                PreparedStatement update = db.prepare(UPDATE_LEASE);
                update.setString(1, workerId);
                update.setLong(2, newToken);
                update.setLong(3, newExpiry);
                update.setLong(4, now);
                update.setString(5, key);
                update.executeUpdate();
            } else {
                PreparedStatement insert = db.prepare(INSERT_SUBSCRIBER);
                insert.setString(1, key);
                insert.setString(2, workerId);
                insert.setLong(3, newToken);
                insert.setLong(4, newExpiry);
                insert.setLong(5, now);
                insert.executeUpdate();
            }
            return Optional.of(new Lease(key, workerId, newToken, instant(newExpiry)));
        });
    }

    @Override
    public void releaseLease(Lease lease) {
        Objects.requireNonNull(lease, "lease");
        writer.transaction("releasing the lease of subscription " + lease.key(), db -> {
            // Expire it, keeping owner and token, so the next owner's token is larger than any before.
            long now = micros(clock.instant());
            PreparedStatement release = db.prepare(RELEASE_LEASE);
            release.setLong(1, now);
            release.setString(2, lease.key());
            release.setString(3, lease.workerId());
            release.setLong(4, lease.token());
            release.setLong(5, now);
            release.executeUpdate();
            return null;
        });
    }

    @Override
    public Optional<SubscriberState> subscriber(String key) {
        Validation.name("key", key);
        return readers.read("reading the state of subscription " + key, db -> {
            PreparedStatement statement = db.prepare(SELECT_SUBSCRIBER);
            statement.setString(1, key);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                String worker = rs.getString(2);
                return Optional.of(new SubscriberState(
                        key,
                        Optional.ofNullable(rs.getString(1)),
                        worker.equals(NO_WORKER) ? Optional.empty() : Optional.of(worker),
                        rs.getLong(3),
                        instant(rs.getLong(4)),
                        rs.getBoolean(5)));
            }
        });
    }

    @Override
    public void acknowledge(Lease lease, String cursor) {
        Objects.requireNonNull(lease, "lease");
        Validation.cursor(cursor);
        writer.transaction("acknowledging subscription " + lease.key(), db -> {
            acknowledge(db, lease, cursor);
            return null;
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>Runs on the writer connection, inside the transaction of the work.
     *
     * @throws IllegalStateException if not called from the work of {@link #inTransaction}, on its
     *     thread
     * @throws IllegalArgumentException if {@code transaction} is not the connection passed to that
     *     work
     */
    @Override
    public void acknowledge(Connection transaction, Lease lease, String cursor) {
        Objects.requireNonNull(transaction, "transaction");
        Objects.requireNonNull(lease, "lease");
        Validation.cursor(cursor);
        writer.joinTransaction(transaction, "acknowledging subscription " + lease.key(), db -> {
            acknowledge(db, lease, cursor);
            return null;
        });
    }

    private void acknowledge(Statements db, Lease lease, String cursor) throws SQLException {
        long now = micros(clock.instant());
        PreparedStatement acknowledge = db.prepare(ACKNOWLEDGE);
        acknowledge.setString(1, cursor);
        acknowledge.setLong(2, now);
        acknowledge.setString(3, lease.key());
        acknowledge.setString(4, lease.workerId());
        acknowledge.setLong(5, lease.token());
        acknowledge.setLong(6, now);
        if (acknowledge.executeUpdate() == 0) {
            throw new LeaseLostException(lease.key(), lease.workerId());
        }
    }

    @Override
    public void resetSubscriber(String key, Optional<String> cursor) {
        Validation.name("key", key);
        Objects.requireNonNull(cursor, "cursor").ifPresent(Validation::cursor);
        writer.transaction("resetting subscription " + key, db -> {
            PreparedStatement reset = db.prepare(RESET_SUBSCRIBER);
            reset.setString(1, key);
            reset.setString(2, cursor.orElse(null));
            reset.setLong(3, micros(clock.instant()));
            reset.executeUpdate();
            return null;
        });
    }

    @Override
    public void pauseSubscriber(String key, boolean paused) {
        Validation.name("key", key);
        writer.transaction((paused ? "pausing" : "resuming") + " subscription " + key, db -> {
            PreparedStatement pause = db.prepare(PAUSE_SUBSCRIBER);
            pause.setString(1, key);
            pause.setLong(2, micros(clock.instant()));
            pause.setInt(3, paused ? 1 : 0);
            pause.executeUpdate();
            return null;
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code parkedAt} is stored to the microsecond.
     */
    @Override
    public void park(Lease lease, ParkedEvent event) {
        Validation.parkedUnder(lease, event);
        writer.transaction("parking event " + event.eventId() + " of subscription " + lease.key(), db -> {
            park(db, lease, event);
            return null;
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>Runs on the writer connection, inside the transaction of the work; {@code parkedAt} is stored
     * to the microsecond.
     *
     * @throws IllegalStateException if not called from the work of {@link #inTransaction}, on its
     *     thread
     * @throws IllegalArgumentException if {@code transaction} is not the connection passed to that
     *     work, or the lease and the event have different keys
     */
    @Override
    public void park(Connection transaction, Lease lease, ParkedEvent event) {
        Objects.requireNonNull(transaction, "transaction");
        Validation.parkedUnder(lease, event);
        writer.joinTransaction(
                transaction, "parking event " + event.eventId() + " of subscription " + lease.key(), db -> {
                    park(db, lease, event);
                    return null;
                });
    }

    @Override
    public boolean unpark(Connection transaction, String key, String eventId) {
        Objects.requireNonNull(transaction, "transaction");
        Validation.name("key", key);
        Validation.id("eventId", eventId);
        return writer.joinTransaction(transaction, "unparking event " + eventId + " of subscription " + key, db -> {
            PreparedStatement unpark = db.prepare(UNPARK);
            unpark.setString(1, key);
            unpark.setString(2, eventId);
            return unpark.executeUpdate() > 0;
        });
    }

    private void park(Statements db, Lease lease, ParkedEvent event) throws SQLException {
        long now = micros(clock.instant());
        PreparedStatement park = db.prepare(PARK);
        park.setString(1, event.key());
        park.setString(2, event.eventId());
        park.setString(3, event.aggregatorType());
        park.setString(4, event.aggregatorId());
        park.setInt(5, event.version());
        park.setString(6, event.error());
        park.setInt(7, event.attempts());
        park.setLong(8, micros(event.parkedAt()));
        park.setString(9, lease.key());
        park.setString(10, lease.workerId());
        park.setLong(11, lease.token());
        park.setLong(12, now);
        if (park.executeUpdate() == 0) {
            throw new LeaseLostException(lease.key(), lease.workerId());
        }
    }

    @Override
    public List<ParkedEvent> parked(String key, int limit) {
        Validation.name("key", key);
        Validation.limit("limit", limit, Limits.PAGE_MAX_SIZE);
        return readers.read("reading the parked events of subscription " + key, db -> {
            PreparedStatement statement = db.prepare(SELECT_PARKED);
            statement.setString(1, key);
            statement.setInt(2, limit);
            List<ParkedEvent> parked = new ArrayList<>(Math.min(limit, 64));
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    parked.add(new ParkedEvent(
                            key,
                            rs.getString(1),
                            rs.getString(2),
                            rs.getString(3),
                            rs.getInt(4),
                            rs.getString(5),
                            rs.getInt(6),
                            instant(rs.getLong(7))));
                }
            }
            return List.copyOf(parked);
        });
    }

    @Override
    public boolean unpark(String key, String eventId) {
        Validation.name("key", key);
        Validation.id("eventId", eventId);
        return writer.transaction("unparking event " + eventId + " of subscription " + key, db -> {
            PreparedStatement unpark = db.prepare(UNPARK);
            unpark.setString(1, key);
            unpark.setString(2, eventId);
            return unpark.executeUpdate() > 0;
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>The work runs on the executor's single writer connection, in a {@code BEGIN IMMEDIATE}
     * transaction that holds the store's write lock from start to end: every other write of this
     * executor, and of any other connection to the file, waits for it (other connections for at
     * most their busy timeout). Keep it short. Reads of the executor go on meanwhile and see the
     * state before the transaction.
     *
     * <p>Inside the work, write to the store only through {@link #acknowledge(Connection, Lease,
     * String)} and {@link #park(Connection, Lease, ParkedEvent)}: the executor's other writing
     * methods ({@link #write}, {@link #acknowledge(Lease, String)}, leases, ...) called from the
     * work's thread fail at once with an {@link IllegalStateException} rather than deadlock. Events
     * cannot be appended in the transaction.
     *
     * <p>The connection passed to the work refuses {@code commit}, {@code rollback}, {@code
     * setAutoCommit(true)}, the JDBC savepoint methods, {@code setReadOnly} and {@code
     * setTransactionIsolation} with an {@link IllegalStateException} (SQL {@code SAVEPOINT}
     * statements work); closing it only detaches it. It stops working once the work returns.
     *
     * @throws IllegalStateException if called from inside the work of another {@code inTransaction}
     */
    @Override
    public <T> T inTransaction(Work<T> work) {
        Objects.requireNonNull(work, "work");
        return writer.inTransaction("running a transaction", work);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The listener is called after every commit of {@link #write} by this executor, on the
     * committing thread. Commits by other executors on the same file, in this process or another,
     * are not noticed.
     */
    @Override
    public Registration onCommit(Runnable listener) {
        return signal.register(listener);
    }

    @Override
    public Optional<StoredSnapshot> snapshot(String projection, String aggregatorType, String aggregatorId) {
        Validation.name("projection", projection);
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        return readers.read("reading snapshot " + projection + " of " + aggregatorType + "/" + aggregatorId, db -> {
            PreparedStatement statement = db.prepare(SELECT_SNAPSHOT);
            statement.setString(1, projection);
            statement.setString(2, aggregatorType);
            statement.setString(3, aggregatorId);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new StoredSnapshot(
                        projection,
                        aggregatorType,
                        aggregatorId,
                        rs.getString(1),
                        rs.getInt(2),
                        EventSql.bytes(rs, 3),
                        rs.getLong(4)));
            }
        });
    }

    @Override
    public void saveSnapshot(StoredSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        writer.transaction("saving snapshot " + snapshot.projection(), db -> {
            PreparedStatement upsert = db.prepare(UPSERT_SNAPSHOT);
            upsert.setString(1, snapshot.projection());
            upsert.setString(2, snapshot.aggregatorType());
            upsert.setString(3, snapshot.aggregatorId());
            upsert.setString(4, snapshot.revision());
            upsert.setInt(5, snapshot.version());
            upsert.setBytes(6, snapshot.data());
            upsert.setLong(7, snapshot.timestampMicros());
            upsert.executeUpdate();
            return null;
        });
    }

    /**
     * Closes the connections. Reads in progress finish first; later calls throw a {@link
     * StoreException}. Closing again does nothing.
     */
    @Override
    public void close() {
        writer.ensureNotInTransaction("closing the executor");
        closed = true;
        // Readers first: the last connection to close checkpoints the WAL into the database file
        // and deletes it, and only the writer (not a read-only connection) is allowed to.
        readers.close();
        writer.close();
    }

    @Override
    public String toString() {
        return "SqliteExecutor[" + file + ", store " + storeId + "]";
    }

    /** The store id, part of every cursor of this store. */
    String storeId() {
        return storeId;
    }

    private void ensureOpen() {
        if (closed) {
            throw new StoreException(closedMessage, null, false);
        }
    }

    static long micros(Instant t) {
        return t.getEpochSecond() * MICROS_PER_SECOND + t.getNano() / 1_000;
    }

    static Instant instant(long micros) {
        return Instant.ofEpochSecond(
                Math.floorDiv(micros, MICROS_PER_SECOND), Math.floorMod(micros, MICROS_PER_SECOND) * 1_000L);
    }

    /** A positive duration in microseconds, rounded up so that it stays positive, saturated at the maximum. */
    static long ceilMicros(Duration d) {
        long seconds = d.getSeconds();
        if (seconds >= Long.MAX_VALUE / MICROS_PER_SECOND) {
            return Long.MAX_VALUE;
        }
        return seconds * MICROS_PER_SECOND + (d.getNano() + 999) / 1_000;
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }
}
