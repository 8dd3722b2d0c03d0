package io.evento.rocksdb;

import io.evento.ConcurrencyException;
import io.evento.Durability;
import io.evento.Limits;
import io.evento.Page;
import io.evento.StoreException;
import io.evento.internal.CommitSignal;
import io.evento.internal.Cursors;
import io.evento.internal.Validation;
import io.evento.internal.WriteBatch;
import io.evento.spi.Executor;
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
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;

/**
 * The embedded RocksDB executor: the whole store in one directory, the Java counterpart of
 * Evento's fjall store.
 *
 * <pre>{@code
 * try (RocksDbExecutor executor = RocksDbExecutor.open(Path.of("data/events"))) {
 *     Evento evento = Evento.builder(executor).register(Account.class).build();
 *     ...
 * }
 * }</pre>
 *
 * <h2>Layout</h2>
 *
 * <p>Events are kept in a column family keyed by their global position; beside it are an index of
 * each aggregate's versions ({@code (type, id, version) → position}, which also answers "what
 * version is this aggregate at"), indexes by aggregate type, by event name and by routing key, and
 * column families for subscribers (lease, checkpoint, paused flag), for the dead-letter store
 * (parked events in the order they were parked, and a lookup by event id) and for snapshots. The
 * {@code default} column family holds the store id, created once at random (it is part of every
 * cursor, so a cursor of another store is refused), the format version, the last position and the
 * last sequence number of a parked event. A store of an older format is upgraded when opened. Keys
 * are binary and
 * length-prefixed, so ids may contain any character; values are a small versioned binary format.
 *
 * <h2>Writes: one writer, group commit</h2>
 *
 * <p>Every write — appends, leases, checkpoints, resets, pauses, parked events, snapshots — is
 * queued to one writer, which commits one group at a time: a thread of its own, or, when that
 * thread is idle, the caller itself, sparing an uncontended commit two thread hand-offs. The writer
 * takes everything queued, checks each operation against the store as the operations before it
 * leave it (an append's expected version, a lease's owner and token), and writes all that passed in
 * <em>one</em> RocksDB write batch; only then are the callers released. With
 * {@link Durability#SURVIVES_POWER_LOSS}, many concurrent committers thus share one log write and
 * one fsync. With {@link Durability#SURVIVES_PROCESS_CRASH} there is no fsync to share, and waking
 * each caller whose write another thread committed costs more than the write: callers take the
 * writer's role in turn, as they would a lock (not a fair one), and each commits its own write on
 * its own thread. A conflicting append fails alone with a {@link io.evento.ConcurrencyException};
 * its neighbours in the group commit. Because one group at a time does every check and write, a
 * lease check and the checkpoint or parked event it guards are atomic (fencing), and an append's
 * version check cannot race another append. After a group that appended events, the thread that
 * committed it calls the {@link #onCommit} listeners.
 *
 * <h2>Why a reader never skips an event</h2>
 *
 * <ol>
 *   <li>Only the writer assigns positions: consecutively, from the last one written, and it writes
 *       a group's events (with their index entries) in one batch, after the previous batch's write
 *       has returned.
 *   <li>RocksDB applies a write batch atomically: readers see none of it or all of it. (The options
 *       that would weaken that, {@code unordered_write} and pipelined writes, stay off.) So every
 *       state a reader can observe holds exactly the positions {@code 1 .. n} for some {@code n} —
 *       a prefix of the log without gaps, with every index complete up to {@code n}.
 *   <li>A page is read from one RocksDB snapshot, taken when the read starts, whatever indexes it
 *       merges. If it returns the event at position {@code p}, every event before {@code p} was in
 *       that snapshot too, and was either returned before it or did not match; anything committed
 *       later gets a position above {@code n ≥ p}. Paging forward from {@code p} therefore sees
 *       every later event, exactly once.
 * </ol>
 *
 * <p>A caller's write returns only after its batch is written, so its events are visible to any
 * read that starts afterwards.
 *
 * <h2>Durability</h2>
 *
 * <p>By default ({@link Durability#SURVIVES_PROCESS_CRASH}) each batch is appended to RocksDB's
 * write-ahead log but not synced: a commit survives a crash of the application, and a power loss may
 * lose the last moments of commits. Recovery replays the longest consistent prefix of the log, so the
 * store stays gap-free and its indexes consistent, and a checkpoint never survives without the events
 * before it. {@link Durability#SURVIVES_POWER_LOSS} syncs the log for every batch. {@link #close()}
 * syncs it once in either mode.
 *
 * <h2>Errors</h2>
 *
 * <p>RocksDB failures are {@link StoreException}s, transient when RocksDB reports a busy, timed-out
 * or retryable condition or an I/O error (a full disk, for instance). A directory can be open in
 * only one executor at a time: a second {@link #open(Path)} of it, in this process or another, is
 * refused with a {@link StoreException}. After {@link #close()} every call throws a {@link
 * StoreException}.
 *
 * <p>Instances are thread-safe; every method blocks and may be called from virtual threads. Reads
 * run in parallel with each other and with the writer.
 *
 * <p>RocksDB's Java binding (rocksdbjni) loads a native library. Recent JDKs print a warning for that
 * unless the application allows it: {@code --enable-native-access=ALL-UNNAMED} on the class path,
 * {@code --enable-native-access=rocksdbjni} on the module path.
 */
public final class RocksDbExecutor implements Executor {
    /** The directories open in this process, so a second open is refused with a clear message. */
    private static final Set<Path> OPEN_DIRECTORIES = ConcurrentHashMap.newKeySet();

    /**
     * How many appends the current thread lost to a concurrent commit in a row. Under contention on
     * one aggregate, callers that retry after a conflict all read the new version at once and race
     * again in the same group; the writer lets the one that lost most often go first.
     */
    private static final ThreadLocal<int[]> RACES_LOST = ThreadLocal.withInitial(() -> new int[1]);

    private final Path directory;
    private final Store store;
    private final GroupCommit writer;
    private final EventReads reads;
    private final CommitSignal signal = new CommitSignal();
    private final String storeId;
    private final String closedMessage;
    private final ReentrantReadWriteLock handles = new ReentrantReadWriteLock();
    private final ReentrantLock closing = new ReentrantLock();
    private volatile boolean closed;
    private boolean released; // guarded by `closing`

    private RocksDbExecutor(Path directory, Store store, Clock clock, int maxBatch) {
        this.directory = directory;
        this.store = store;
        this.storeId = store.storeId;
        this.closedMessage = "the RocksDB executor of " + directory + " is closed";
        this.reads = new EventReads(store);
        this.writer = new GroupCommit(store, clock, maxBatch, closedMessage, signal);
    }

    /**
     * Opens the store in {@code directory} with the default settings, creating the directory and the
     * store if they are missing.
     *
     * @param directory the store's directory
     * @return the executor
     * @throws StoreException if the store cannot be opened, for example because another executor (of
     *     this or another process) has it open
     */
    public static RocksDbExecutor open(Path directory) {
        return builder(directory).open();
    }

    /**
     * A builder to open the store in {@code directory} with other settings.
     *
     * @param directory the store's directory
     * @return the builder
     * @throws IllegalArgumentException if the path is not of the default file system, or is a file
     */
    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    /**
     * Settings of a {@link RocksDbExecutor}. Each may be set once; a bad value is refused at once.
     *
     * <pre>{@code
     * RocksDbExecutor executor = RocksDbExecutor.builder(Path.of("data/events"))
     *         .durability(Durability.SURVIVES_POWER_LOSS)
     *         .maxBatch(1_000)
     *         .open();
     * }</pre>
     */
    public static final class Builder {
        /** The most events one group commit writes, unless set. */
        public static final int DEFAULT_MAX_BATCH = 4_096;

        /** The largest {@link #maxBatch(int)} accepted. */
        public static final int MAX_MAX_BATCH = 1 << 20;

        private final Path directory;
        private Durability durability;
        private Clock clock;
        private int maxBatch;

        private Builder(Path directory) {
            Objects.requireNonNull(directory, "directory");
            if (directory.getFileSystem() != FileSystems.getDefault()) {
                throw new IllegalArgumentException("RocksDB needs a directory of the default file system, not of "
                        + directory.getFileSystem() + ": " + directory);
            }
            Path absolute = directory.toAbsolutePath().normalize();
            if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
                throw new IllegalArgumentException(
                        "the RocksDB store needs a directory, and this is a file: " + absolute);
            }
            this.directory = absolute;
        }

        /**
         * How far a write goes before it returns, and so which crash it survives; {@link
         * Durability#SURVIVES_PROCESS_CRASH} unless set.
         *
         * <ul>
         *   <li>{@link Durability#SURVIVES_PROCESS_CRASH}: every write batch is written to the
         *       write-ahead log, which the operating system syncs later: commits survive a crash of
         *       the application, and a power loss may roll back the latest ones (never to an
         *       inconsistent state). The default, and by far the faster; it matches the SQLite
         *       executor's default. Concurrent callers commit in turn, each its own write on its own
         *       thread.
         *   <li>{@link Durability#SURVIVES_POWER_LOSS}: every write batch is synced to disk (an fsync
         *       of the write-ahead log) before its callers return, so commits also survive a power
         *       loss. Concurrent commits are grouped and share one sync per group.
         * </ul>
         *
         * @param durability the durability
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder durability(Durability durability) {
            Objects.requireNonNull(durability, "durability");
            if (this.durability != null) {
                throw new IllegalStateException("durability was already set to " + this.durability);
            }
            this.durability = durability;
            return this;
        }

        /**
         * The clock that decides when leases expire; the system clock unless set.
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
         * The most events one group commit writes; {@value #DEFAULT_MAX_BATCH} unless set. Queued
         * appends are combined into one write batch up to this many events (an append larger than
         * this is written alone, whole). Larger groups write faster under load and hold more memory.
         *
         * @param events from 1 to {@value #MAX_MAX_BATCH}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if already set
         */
        public Builder maxBatch(int events) {
            if (this.maxBatch != 0) {
                throw new IllegalStateException("max batch was already set to " + this.maxBatch);
            }
            if (events < 1 || events > MAX_MAX_BATCH) {
                throw new IllegalArgumentException(
                        "max batch must be between 1 and " + MAX_MAX_BATCH + " events, was " + events);
            }
            this.maxBatch = events;
            return this;
        }

        /**
         * Opens the store, creating the directory and the store if they are missing.
         *
         * @return the executor
         * @throws StoreException if the store cannot be opened
         */
        public RocksDbExecutor open() {
            return RocksDbExecutor.open(
                    directory,
                    durability == null ? Durability.SURVIVES_PROCESS_CRASH : durability,
                    clock == null ? Clock.systemUTC() : clock,
                    maxBatch == 0 ? DEFAULT_MAX_BATCH : maxBatch);
        }
    }

    private static RocksDbExecutor open(Path directory, Durability durability, Clock clock, int maxBatch) {
        Path real;
        try {
            Files.createDirectories(directory);
            real = directory.toRealPath();
        } catch (IOException e) {
            throw new StoreException("cannot create the RocksDB directory " + directory + ": " + e, e, false);
        }
        if (!OPEN_DIRECTORIES.add(real)) {
            throw new StoreException(
                    "the RocksDB store in " + real + " is already open in this process: close that executor first"
                            + " (a RocksDB directory can be open in one executor at a time)",
                    null,
                    false);
        }
        try {
            Store store = Store.open(real, durability == Durability.SURVIVES_POWER_LOSS);
            RocksDbExecutor executor = new RocksDbExecutor(real, store, clock, maxBatch);
            executor.writer.start();
            return executor;
        } catch (RocksDBException e) {
            OPEN_DIRECTORIES.remove(real);
            throw openFailure(real, e);
        } catch (UnsatisfiedLinkError e) {
            OPEN_DIRECTORIES.remove(real);
            throw new StoreException(
                    "RocksDB's native library cannot be loaded on " + System.getProperty("os.name") + " "
                            + System.getProperty("os.arch") + ": " + e.getMessage(),
                    e,
                    false);
        } catch (RuntimeException | Error e) {
            OPEN_DIRECTORIES.remove(real);
            throw e;
        }
    }

    private static StoreException openFailure(Path directory, RocksDBException e) {
        StoreException failure = RocksErrors.failure("opening the RocksDB store in " + directory, e);
        if (RocksErrors.code(e) != Status.Code.IOError) {
            return failure;
        }
        // RocksDB reports a directory locked by another process as an I/O error, like others.
        return new StoreException(
                failure.getMessage()
                        + " (if another process has this store open, that is why: a RocksDB directory can be open"
                        + " in one process at a time)",
                e,
                failure.isTransient());
    }

    @Override
    public void write(List<StoredEvent> events) {
        List<StoredEvent> copy = events == null ? List.of() : List.copyOf(events);
        int expected = WriteBatch.expectedVersion(copy);
        ensureOpen();
        int[] lost = RACES_LOST.get();
        try {
            writer.submit(new EventCommands.Append(store, copy, expected, lost[0]));
            lost[0] = 0;
        } catch (ConcurrencyException e) {
            lost[0]++;
            throw e;
        }
    }

    @Override
    public Page<StoredEvent> read(ReadQuery query) {
        Objects.requireNonNull(query, "query");
        return read("reading events", () -> {
            Optional<Long> bound = query.page().cursor().map(c -> Cursors.decode(storeId, c, 1)[0]);
            return reads.page(query, bound);
        });
    }

    @Override
    public List<StoredEvent> readAggregate(String aggregatorType, String aggregatorId, int afterVersion, int limit) {
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        Validation.limit("limit", limit, Limits.PAGE_MAX_SIZE);
        return read(
                "reading aggregate " + aggregatorType + "/" + aggregatorId,
                () -> reads.aggregate(aggregatorType, aggregatorId, afterVersion, limit));
    }

    @Override
    public Optional<StoredEvent> lastEvent(String aggregatorType, String aggregatorId) {
        Validation.name("aggregatorType", aggregatorType);
        Validation.id("aggregatorId", aggregatorId);
        return read(
                "reading the last event of " + aggregatorType + "/" + aggregatorId,
                () -> reads.lastEvent(aggregatorType, aggregatorId));
    }

    @Override
    public Optional<Lease> acquireLease(String key, String workerId, Duration ttl) {
        Validation.name("key", key);
        Validation.id("workerId", workerId);
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("lease ttl must be positive, was " + ttl);
        }
        ensureOpen();
        return writer.submit(new LeaseCommands.Acquire(key, workerId, ttl));
    }

    @Override
    public void releaseLease(Lease lease) {
        Objects.requireNonNull(lease, "lease");
        ensureOpen();
        writer.submit(new LeaseCommands.Release(lease));
    }

    @Override
    public Optional<SubscriberState> subscriber(String key) {
        Validation.name("key", key);
        return read("reading the state of subscription " + key, () -> {
            byte[] value = store.db.get(store.subscribers, Keys.subscriber(key));
            if (value == null) {
                return Optional.empty();
            }
            Records.Subscriber s = Records.subscriber(value);
            return Optional.of(new SubscriberState(
                    key,
                    Optional.ofNullable(s.cursor()),
                    Optional.ofNullable(s.workerId()),
                    s.token(),
                    s.expiresAt(),
                    s.paused()));
        });
    }

    @Override
    public void acknowledge(Lease lease, String cursor) {
        Objects.requireNonNull(lease, "lease");
        Validation.cursor(cursor);
        ensureOpen();
        writer.submit(new SubscriberCommands.Acknowledge(lease, cursor));
    }

    @Override
    public void resetSubscriber(String key, Optional<String> cursor) {
        Validation.name("key", key);
        Objects.requireNonNull(cursor, "cursor").ifPresent(Validation::cursor);
        ensureOpen();
        writer.submit(new SubscriberCommands.Reset(key, cursor));
    }

    @Override
    public void pauseSubscriber(String key, boolean paused) {
        Validation.name("key", key);
        ensureOpen();
        writer.submit(new SubscriberCommands.Pause(key, paused));
    }

    @Override
    public void park(Lease lease, ParkedEvent event) {
        Validation.parkedUnder(lease, event);
        ensureOpen();
        writer.submit(new ParkingCommands.Park(lease, event));
    }

    @Override
    public List<ParkedEvent> parked(String key, int limit) {
        Validation.name("key", key);
        Validation.limit("limit", limit, Limits.PAGE_MAX_SIZE);
        return read("reading the parked events of subscription " + key, () -> {
            byte[] prefix = Keys.parkedOf(key);
            List<ParkedEvent> parked = new ArrayList<>(Math.min(limit, 64));
            // Keys are (key, sequence): the prefix holds exactly this subscription's entries, in the
            // order they were first parked. One iterator reads one consistent state.
            try (RocksIterator it = store.db.newIterator(store.parked)) {
                for (it.seek(prefix); it.isValid() && parked.size() < limit; it.next()) {
                    byte[] k = it.key();
                    if (k.length != prefix.length + 8 || !Bytes.startsWith(k, prefix)) {
                        break;
                    }
                    parked.add(Records.parked(key, it.value()));
                }
                it.status();
            }
            return List.copyOf(parked);
        });
    }

    @Override
    public boolean unpark(String key, String eventId) {
        Validation.name("key", key);
        Validation.id("eventId", eventId);
        ensureOpen();
        return writer.submit(new ParkingCommands.Unpark(key, eventId));
    }

    /**
     * {@inheritDoc}
     *
     * <p>The listener is called after each group commit that appended events, once those events are
     * readable and their committers released, by the thread that committed the group: the writer's
     * own, or a caller that committed in its stead (before its write returns, holding no lock of the
     * executor's). It must not block or call the executor: the writer thread calls it too, and a write
     * it made there would wait for that thread. This store
     * can be open in one process only, so no commit goes unnoticed.
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
        return read("reading snapshot " + projection + " of " + aggregatorType + "/" + aggregatorId, () -> {
            byte[] value = store.db.get(store.snapshots, Keys.snapshot(projection, aggregatorType, aggregatorId));
            return value == null
                    ? Optional.empty()
                    : Optional.of(Records.snapshot(projection, aggregatorType, aggregatorId, value));
        });
    }

    @Override
    public void saveSnapshot(StoredSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        ensureOpen();
        writer.submit(new SnapshotCommands.Save(store, snapshot));
    }

    /**
     * Commits the writes already queued, waits for reads in progress, syncs the write-ahead log and
     * closes the store; later calls throw a {@link StoreException}. Closing again does nothing.
     *
     * @throws StoreException if RocksDB fails to sync or close; the directory is released anyway
     */
    @Override
    public void close() {
        closing.lock();
        try {
            if (released) {
                return;
            }
            closed = true;
            writer.close();
            Lock exclusive = handles.writeLock();
            exclusive.lock();
            try {
                released = true;
                store.close();
            } finally {
                exclusive.unlock();
                OPEN_DIRECTORIES.remove(directory);
            }
        } finally {
            closing.unlock();
        }
    }

    @Override
    public String toString() {
        return "RocksDbExecutor[" + directory + ", store " + storeId + "]";
    }

    /** The store id, part of every cursor of this store. */
    String storeId() {
        return storeId;
    }

    /** How many write batches the writer wrote: fewer than {@link #appends()} when commits were grouped. */
    long writeBatches() {
        return writer.writeBatches();
    }

    /** How many appends were committed. */
    long appends() {
        return writer.appends();
    }

    /** Whether the writer thread waits for work, with nobody committing in its stead. */
    boolean writerIdle() {
        return writer.idle();
    }

    /** How many writes wait for the writer, not counting the group it is committing. */
    int queuedWrites() {
        return writer.queued();
    }

    private void ensureOpen() {
        if (closed) {
            throw new StoreException(closedMessage, null, false);
        }
    }

    /** A read of the store, which RocksDB may fail. */
    @FunctionalInterface
    private interface RocksRead<T> {
        T run() throws RocksDBException;
    }

    /** Runs a read while the store is open; close waits for it. */
    private <T> T read(String operation, RocksRead<T> body) {
        Lock shared = handles.readLock();
        shared.lock();
        try {
            ensureOpen();
            return body.run();
        } catch (RocksDBException e) {
            throw RocksErrors.failure(operation, e);
        } finally {
            shared.unlock();
        }
    }
}
