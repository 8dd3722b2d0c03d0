package io.evento.mysql;

import io.evento.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raises the horizon readers see up to, in passes; one per executor, on a virtual thread.
 *
 * <p>See {@link MysqlExecutor} for why the order is skip-free. This class is the mechanics:
 *
 * <ul>
 *   <li>The horizon {@code h} is {@code evento_sequence.next_position - 1}: every position up to
 *       {@code h} belongs to a committed event, or to a placeholder sealing a position whose
 *       transaction rolled back, or was never taken. Readers see positions up to {@code h} only.
 *   <li>A pass <em>scans</em> the committed rows above {@code h}, in position order, with one plain
 *       {@code SELECT}: a consistent, non-locking read that never waits for a writer. It walks them
 *       while positions follow each other without a gap, and remembers the last row at which no
 *       commit is open (every row knows the version that ends its commit), so a horizon never falls
 *       inside a commit.
 *   <li>A gap is a position taken by a transaction still in flight, or burnt by one that rolled
 *       back (a failed insert, a conflict). The pass stops at a gap until it has been open for
 *       {@link #SEAL_AFTER}; then it tries to <em>seal</em> it: it inserts a placeholder row at that
 *       position, waiting for no lock. If the insert succeeds, no event can ever take that position
 *       (it is the primary key); if it finds a committed row, the event committed meanwhile; if it
 *       finds a row locked by its writer, the transaction is still in flight, and the horizon waits
 *       for it, as PostgreSQL's readers wait for an open transaction.
 *   <li>It <em>publishes</em> the new horizon with one update, {@code GREATEST} of the stored value
 *       and its own: any pass's horizon is true, so passes of several executors need no lock between
 *       them and no lease, and the horizon only grows.
 * </ul>
 *
 * <p>The thread runs a pass when a local write commits ({@link #committed(long)}), when a reader
 * waits for local writes ({@link #awaitLocalWrites(Duration)}), when a gap it waits for is old
 * enough to seal, and every poll interval, which picks up the commits of other processes and of
 * processes that died before their own pass. While commits stream in and no reader waits, passes
 * are a gather delay apart, so that each covers many commits.
 *
 * <p>Readers of this process wait for the writes of this process: a writer reports the last
 * position its commit took, and a read waits until the horizon reaches the largest reported so far.
 */
final class Sequencer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sequencer.class);
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final long NEVER = Long.MIN_VALUE;

    /** The most rows one scan returns, unless one commit needs more. */
    static final int SCAN_LIMIT = 10_000;

    /**
     * How long a gap stays open before a pass tries to seal it. A position is taken by an insert a
     * moment before its row is written; sealing it in that moment would fail the insert, so the
     * pass leaves every gap alone this long first. Gaps of transactions in flight are left alone
     * anyway: their rows are locked, and sealing finds them so.
     */
    static final Duration SEAL_AFTER = Duration.ofMillis(100);

    /** The shortest time before a pass looks again at a gap that stopped it. */
    static final Duration LOOK_AGAIN = Duration.ofMillis(2);

    /** How long readers wait for local writes to become visible before reading anyway. */
    static final Duration READ_BARRIER_TIMEOUT = Duration.ofSeconds(10);

    /** The scan: committed rows above the horizon, by primary key, in position order. */
    static final String SCAN = "SELECT position, aggregator_type, aggregator_id, version, commit_end"
            + " FROM evento_event FORCE INDEX (PRIMARY) WHERE position > ? ORDER BY position LIMIT ?";

    static final String NEXT_POSITION = "SELECT next_position FROM evento_sequence WHERE name = 'global'";

    /** Publishes a horizon: the counter only grows, whichever pass publishes first. */
    static final String PUBLISH =
            "UPDATE evento_sequence SET next_position = GREATEST(next_position, ?) WHERE name = 'global'";

    /**
     * A placeholder at a burnt position: empty aggregate type (never a valid one, so no filter and
     * no aggregate load ever matches it; the unfiltered reads exclude it), its position as the
     * aggregate id (unique), version 0.
     */
    static final String SEAL = "INSERT INTO evento_event (position, id, aggregator_type, aggregator_id, version,"
            + " commit_end, name, routing_key, data, metadata, timestamp) VALUES (?, '', '', ?, 0, 0, '', NULL, '', '', 0)";

    /** A committed row above the horizon. */
    record Row(long position, String type, String id, int version, int commitEnd) {}

    private record Aggregate(String type, String id) {}

    /** What sealing a position found. */
    enum Seal {
        /** The placeholder is in: the position is burnt for good. */
        SEALED,
        /** A committed row holds the position: an event committed after the scan. */
        COMMITTED,
        /** A transaction in flight holds it. */
        IN_FLIGHT
    }

    /** How a pass ended. */
    enum Outcome {
        /** The horizon is past every row committed when the pass began. */
        CAUGHT_UP,
        /** The scan was full; more rows wait. */
        MORE,
        /** A gap stops the horizon: a transaction in flight, or a gap too young to seal. */
        BLOCKED,
        /** An event committed into a gap after the scan; scan again. */
        RESCAN
    }

    private final DataSource dataSource;
    private final long pollNanos;
    private final long gatherNanos;
    private final String name;
    private final Runnable onAdvanced;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Condition progress = lock.newCondition();
    private final Thread thread;

    // Guarded by lock.
    private long localLast = -1;
    private long failedDrains;
    private boolean requested;
    private boolean urgent;
    private boolean closing;
    private boolean stopped;

    // Only touched by the sequencer thread.
    private long lastPassNanos = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
    private int failures;
    /** Gaps met, by first position, with the time they were first met (or last found in flight). */
    private final NavigableMap<Long, Long> gaps = new TreeMap<>();
    /** When to look at a gap that stopped the horizon again, or {@link #NEVER}. */
    private long retryAtNanos = NEVER;

    /** The horizon this sequencer knows: published by it or read from the counter; -1 until read. */
    private volatile long horizon = -1;

    private volatile long passes;
    private volatile long sealed;
    private volatile long inFlight;

    /**
     * A sequencer that is not started yet.
     *
     * @param onAdvanced run on the sequencer's thread after a drain that raised the horizon; must
     *     be quick and must not throw
     */
    Sequencer(DataSource dataSource, Duration pollInterval, Duration gather, String name, Runnable onAdvanced) {
        this.dataSource = dataSource;
        this.pollNanos = pollInterval.toNanos();
        this.gatherNanos = gather.toNanos();
        this.name = name;
        this.onAdvanced = onAdvanced;
        this.thread = Thread.ofVirtual()
                .name("evento-mysql-sequencer-" + THREADS.incrementAndGet())
                .unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** Called after a local write committed, with the last position it took: wakes the thread. */
    void committed(long lastPosition) {
        lock.lock();
        try {
            localLast = Math.max(localLast, lastPosition);
            requested = true;
            wake.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until every write of this executor that committed before the call is below the
     * horizon, or the executor closes, or {@code timeout} passes.
     *
     * @return whether the local writes are visible
     */
    boolean awaitLocalWrites(Duration timeout) {
        lock.lock();
        try {
            long target = localLast;
            if (horizon >= target) {
                return true;
            }
            requested = true;
            urgent = true;
            wake.signal();
            long failed = failedDrains;
            long nanos = timeout.toNanos();
            // A failed drain means the database is failing: the read would fail too, so let it.
            while (horizon < target && !stopped && failedDrains == failed && nanos > 0) {
                nanos = progress.awaitNanos(nanos);
            }
            return horizon >= target;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for the sequencer", e, true);
        } finally {
            lock.unlock();
        }
    }

    /** The horizon this sequencer knows, -1 before its first pass; for tests and diagnostics. */
    long horizon() {
        return horizon;
    }

    /** Passes run so far that raised the horizon, for tests and diagnostics. */
    long passes() {
        return passes;
    }

    /** Positions sealed with a placeholder by this sequencer so far, for tests and diagnostics. */
    long sealed() {
        return sealed;
    }

    /** Attempts to seal that found the position's transaction in flight, for tests and diagnostics. */
    long inFlight() {
        return inFlight;
    }

    /**
     * Stops the thread after one last drain (best effort: if the database fails, another
     * executor's poll raises the horizon over the local writes).
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            requested = true;
            wake.signal();
            progress.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            if (!thread.join(Duration.ofSeconds(10))) {
                thread.interrupt();
                thread.join(Duration.ofSeconds(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            while (true) {
                boolean last;
                lock.lock();
                try {
                    long nanos = requested
                            ? 0
                            : retryAtNanos == NEVER ? pollNanos : Math.min(pollNanos, retryAtNanos - System.nanoTime());
                    while (!requested && !closing && nanos > 0) {
                        nanos = wake.awaitNanos(nanos);
                    }
                    if (!urgent && !closing && failures == 0) {
                        // Gather: let a busy stream of commits accumulate for a few milliseconds, so
                        // that one pass (one commit of the database) covers many events.
                        long wait = lastPassNanos + gatherNanos - System.nanoTime();
                        while (wait > 0 && !urgent && !closing) {
                            wait = wake.awaitNanos(wait);
                        }
                    }
                    requested = false;
                    urgent = false;
                    last = closing;
                } finally {
                    lock.unlock();
                }
                lastPassNanos = System.nanoTime();
                long before = horizon;
                boolean failed = !drainOnce();
                lock.lock();
                try {
                    if (failed) {
                        failedDrains++;
                    }
                    progress.signalAll();
                } finally {
                    lock.unlock();
                }
                if (horizon != before) {
                    // Outside the lock, so that listeners never hold up readers waiting for progress.
                    onAdvanced.run();
                }
                if (last) {
                    return;
                }
                if (failed) {
                    backOff();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.lock();
            try {
                stopped = true;
                progress.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Runs passes until the horizon is past everything committed, or a gap stops it (the thread
     * comes back when the gap is old enough to seal, or when woken).
     *
     * @return {@code false} if the database failed
     */
    private boolean drainOnce() {
        try (Connection c = dataSource.getConnection()) {
            // The executor's own pool is at READ COMMITTED already; a data source may not be. The
            // scan's range on the primary key would take gap locks at REPEATABLE READ if it locked,
            // and sealing must not wait for any lock.
            int isolation = c.getTransactionIsolation();
            boolean autoCommit = c.getAutoCommit();
            if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
            if (!autoCommit) {
                // Each statement commits on its own; left uncommitted, a seal or a horizon is lost.
                c.setAutoCommit(true);
            }
            try {
                return drain(c);
            } finally {
                if (!autoCommit) {
                    c.setAutoCommit(false);
                }
                if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                    c.setTransactionIsolation(isolation);
                }
            }
        } catch (SQLException | RuntimeException e) {
            failures++;
            if (failures == 1) {
                LOG.warn("Sequencer of {} failed, retrying: {}", name, e.toString());
            } else {
                LOG.debug("Sequencer of {} failed again ({} times)", name, failures, e);
            }
            return false;
        }
    }

    private boolean drain(Connection c) throws SQLException {
        // Another executor's pass may have raised the horizon: start from the larger.
        horizon = Math.max(horizon, readNext(c) - 1);
        retryAtNanos = NEVER;
        while (true) {
            Outcome outcome = pass(c);
            if (outcome == Outcome.CAUGHT_UP || outcome == Outcome.BLOCKED) {
                if (failures > 0) {
                    LOG.info("Sequencer of {} works again", name);
                }
                failures = 0;
                return true;
            }
        }
    }

    private void backOff() throws InterruptedException {
        long nanos = Math.min(pollNanos, TimeUnit.MILLISECONDS.toNanos(5L << Math.min(failures, 10)));
        lock.lock();
        try {
            while (nanos > 0 && !closing) {
                nanos = wake.awaitNanos(nanos);
            }
            requested = true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * One pass: scans above the horizon, walks the rows, seals the gaps that are old enough, and
     * publishes how far it got.
     *
     * @param c a connection in auto-commit mode at {@code READ COMMITTED}
     */
    Outcome pass(Connection c) throws SQLException {
        long from = horizon;
        int limit = SCAN_LIMIT;
        List<Row> rows = scan(c, from, limit);
        Walk walk = walk(from, rows, rows.size() >= limit);
        // A commit larger than the scan leaves no point where none is open: read further.
        while (walk.end() == from && walk.stop() == Stop.END && rows.size() >= limit) {
            limit *= 2;
            rows = scan(c, from, limit);
            walk = walk(from, rows, rows.size() >= limit);
        }
        // Up to the walk's end, positions follow each other and no commit is open: publishable,
        // whatever happens at the gap after it.
        long end = walk.end();
        if (end > from) {
            try (PreparedStatement publish = c.prepareStatement(PUBLISH)) {
                publish.setLong(1, end + 1);
                publish.executeUpdate();
            }
            horizon = end;
            passes++;
            gaps.headMap(end, true).clear();
            // Readers waiting for local writes need not wait for the rest of a long drain.
            lock.lock();
            try {
                progress.signalAll();
            } finally {
                lock.unlock();
            }
        }
        long now = System.nanoTime();
        rememberGaps(rows, now);
        return switch (walk.stop()) {
            case END -> rows.size() >= limit ? Outcome.MORE : Outcome.CAUGHT_UP;
            case GAP -> sealGap(c, walk.gapStart(), walk.gapEnd(), now);
        };
    }

    /**
     * Handles the gap a walk stopped at: leaves it while it is young, else seals its positions in
     * order. Returns {@link Outcome#RESCAN} once the gap has moved (positions sealed, or filled by a
     * commit), so that the next pass walks on, and {@link Outcome#BLOCKED} otherwise.
     */
    private Outcome sealGap(Connection c, long gapStart, long gapEnd, long now) throws SQLException {
        long due = gaps.get(gapStart) + SEAL_AFTER.toNanos();
        if (due - now > 0) {
            // Young: most gaps are writes about to commit. Look again soon (a local commit wakes
            // the thread anyway), and seal once it is old enough.
            retryAt(Math.min(due, now + Math.max(gatherNanos, LOOK_AGAIN.toNanos())));
            return Outcome.BLOCKED;
        }
        long timeout;
        try (PreparedStatement select = c.prepareStatement("SELECT @@SESSION.innodb_lock_wait_timeout");
                ResultSet rs = select.executeQuery()) {
            rs.next();
            timeout = rs.getLong(1);
        }
        // Sealing waits for no lock: a row locked by its writer means a transaction in flight.
        // (MariaDB takes 0; MySQL's smallest is one second.)
        setLockWaitTimeout(c, 0);
        try {
            for (long position = gapStart; position <= gapEnd; position++) {
                Seal seal = seal(c, position);
                if (seal == Seal.IN_FLIGHT) {
                    inFlight++;
                    // Its transaction holds it and will end on its own; ask it again later.
                    gaps.put(position, now);
                    retryAt(now + SEAL_AFTER.toNanos());
                    return position == gapStart ? Outcome.BLOCKED : Outcome.RESCAN;
                }
                if (seal == Seal.SEALED) {
                    sealed++;
                }
            }
            return Outcome.RESCAN;
        } finally {
            setLockWaitTimeout(c, timeout);
        }
    }

    private static void setLockWaitTimeout(Connection c, long seconds) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET SESSION innodb_lock_wait_timeout = " + seconds);
        }
    }

    private void retryAt(long nanos) {
        if (retryAtNanos == NEVER || nanos - retryAtNanos < 0) {
            retryAtNanos = nanos;
        }
    }

    /** Seals one position with a placeholder, if it is free; the caller sets the lock wait timeout. */
    static Seal seal(Connection c, long position) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(SEAL)) {
            insert.setLong(1, position);
            insert.setString(2, Long.toString(position));
            insert.executeUpdate();
            LOG.debug("Sealed position {}: the transaction that took it rolled back", position);
            return Seal.SEALED;
        } catch (SQLException e) {
            if (MysqlErrors.isDuplicateKey(e)) {
                return Seal.COMMITTED;
            }
            if (MysqlErrors.isLockWaitTimeout(e)) {
                return Seal.IN_FLIGHT;
            }
            throw e;
        }
    }

    /** Notes the time each gap among the rows was first met, so that gaps age together. */
    private void rememberGaps(List<Row> rows, long now) {
        long expected = horizon + 1;
        for (Row r : rows) {
            if (r.position() > expected) {
                gaps.putIfAbsent(expected, now);
            }
            expected = Math.max(expected, r.position() + 1);
        }
    }

    private static List<Row> scan(Connection c, long from, int limit) throws SQLException {
        List<Row> rows = new ArrayList<>(Math.min(limit, 1024));
        try (PreparedStatement scan = c.prepareStatement(SCAN)) {
            scan.setLong(1, from);
            scan.setInt(2, limit);
            try (ResultSet rs = scan.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(
                            rs.getLong(1), EventSql.text(rs, 2), EventSql.text(rs, 3), rs.getInt(4), rs.getInt(5)));
                }
            }
        }
        return rows;
    }

    /** Why a walk stopped. */
    enum Stop {
        /** At the end of the rows. */
        END,
        /** At a gap. */
        GAP
    }

    /**
     * Where a walk over the rows above the horizon got.
     *
     * @param end the last position at which no commit is open, the horizon if none
     * @param stop why it stopped
     * @param gapStart the first position of the gap it stopped at, with {@link Stop#GAP}
     * @param gapEnd the last position of that gap
     */
    record Walk(long end, Stop stop, long gapStart, long gapEnd) {}

    /**
     * Walks rows (in position order, all above {@code from}) while positions follow each other
     * without a gap, and returns the last position at which no commit is open. A commit of an
     * aggregate is open from its first row until the row whose version ends it: its rows come in
     * version order, as they were inserted in that order. If the rows are not truncated and no gap
     * stopped the walk, it saw every committed row, and a consistent read sees whole commits, so
     * none may be open at the end.
     */
    static Walk walk(long from, List<Row> rows, boolean truncated) {
        Map<Aggregate, Integer> open = new HashMap<>();
        long expected = from + 1;
        long end = from;
        for (Row r : rows) {
            if (r.position() != expected) {
                return new Walk(end, Stop.GAP, expected, r.position() - 1);
            }
            Aggregate a = new Aggregate(r.type(), r.id());
            if (r.version() < r.commitEnd()) {
                open.put(a, r.commitEnd());
            } else {
                open.remove(a);
            }
            if (open.isEmpty()) {
                end = r.position();
            }
            expected++;
        }
        if (!truncated && !open.isEmpty()) {
            throw new IllegalStateException("the scan ended inside a commit of " + open.keySet());
        }
        return new Walk(end, Stop.END, 0, 0);
    }

    static long readNext(Connection c) throws SQLException {
        try (PreparedStatement select = c.prepareStatement(NEXT_POSITION);
                ResultSet rs = select.executeQuery()) {
            if (!rs.next()) {
                throw new StoreException(
                        "the row 'global' of evento_sequence is missing; the schema is damaged", null, false);
            }
            return rs.getLong(1);
        }
    }
}
