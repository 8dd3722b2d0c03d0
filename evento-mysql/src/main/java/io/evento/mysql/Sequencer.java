package io.evento.mysql;

import io.evento.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assigns global positions to committed events, in passes; one per executor, on a virtual thread.
 *
 * <p>See {@link MysqlExecutor} for why the order it builds is skip-free. This class is the
 * mechanics:
 *
 * <ul>
 *   <li>A pass knows the counter's value {@code n} from before its scan (its own last pass, or a
 *       read). It <em>scans</em> the committed rows without a position, in {@code seq} order, with
 *       one plain {@code SELECT}: a consistent, non-locking read that never waits for a writer.
 *   <li>It cuts them into chunks at commit boundaries (every row knows the version that ends its
 *       commit), so a chunk never holds part of a commit, and <em>assigns</em> each chunk with one
 *       {@code UPDATE} that also moves the counter row from {@code n} to {@code n + k} only if it
 *       is still {@code n} (compare-and-set) and gives the chunk's rows positions {@code n .. n + k
 *       - 1}. The statement commits on its own: all or nothing, and no lock outlives it. As the
 *       counter has not moved since before the scan, no pass committed in between, so every row
 *       the scan returned is still without a position.
 *   <li>A failed compare-and-set means another executor's pass got there first: reload the counter,
 *       scan again. Passes never wait on each other except for the counter row's lock, for the
 *       length of one statement.
 * </ul>
 *
 * <p>The thread runs a pass when a local write commits ({@link #committed()}), when a reader waits
 * for local writes ({@link #awaitLocalWrites(Duration)}), and every poll interval, which picks up
 * the commits of processes that died before their own pass. Under load, passes follow each other
 * back to back and each positions what committed meanwhile; a few milliseconds apart when no
 * reader is waiting, so that each pass gathers more events.
 *
 * <p>Readers of this process wait for the writes of this process: {@link #committed(int)} counts
 * their events, and a drain that started after the count was read covers them all. Events of other
 * executors become readable only once some pass positions them, so after every drain that
 * positioned rows the thread calls the executor back, which wakes its commit listeners.
 *
 * <p>Writers wait for the passes too, but only when they run ahead: positioning costs the server
 * more per row than inserting, so a writer that commits faster than passes position (a bulk
 * import) would build a backlog without end, and its readers would wait for it. After its commit, a
 * write waits while more than {@link #MAX_BACKLOG} events of this executor are committed and not yet
 * known to be positioned ({@link #holdBack()}). The bound is below {@link #SCAN_LIMIT}, so a held-back
 * backlog is positioned by one scan's passes and its readers wait a fraction of a second at most.
 */
final class Sequencer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sequencer.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    /** The most rows one scan returns. */
    static final int SCAN_LIMIT = 10_000;

    /** Rows assigned by one statement, unless a commit needs more. */
    static final int CHUNK_SIZE = 500;

    /**
     * The most events of this executor committed and not known to be positioned before its writers
     * wait for a pass; below {@link #SCAN_LIMIT}, so one scan covers the backlog a held-back writer
     * waits for.
     */
    static final int MAX_BACKLOG = 5_000;

    /** How long readers wait for local writes to be positioned before reading anyway. */
    static final Duration READ_BARRIER_TIMEOUT = Duration.ofSeconds(10);

    /** The scan: the 0 entries of the position index (not positioned yet), which it keeps in {@code seq} order. */
    static final String SCAN = "SELECT seq, aggregator_type, aggregator_id, version, commit_end"
            + " FROM evento_event FORCE INDEX (" + EventSql.POSITION_INDEX + ")"
            + " WHERE position = 0 ORDER BY seq LIMIT " + SCAN_LIMIT;

    private static final String REST_OF_COMMIT = "SELECT seq, aggregator_type, aggregator_id, version, commit_end"
            + " FROM evento_event WHERE aggregator_type = ? AND aggregator_id = ? AND version > ? AND version <= ?"
            + " AND position = 0 ORDER BY version";

    static final String NEXT_POSITION = "SELECT next_position FROM evento_sequence WHERE name = 'global'";

    /** A row waiting for its position. */
    record Row(long seq, String type, String id, int version, int commitEnd) {}

    private record Aggregate(String type, String id) {}

    /** What a pass achieved. */
    enum Outcome {
        /** Everything committed when the pass began has a position. */
        DRAINED,
        /** Positions were assigned, but more rows wait. */
        MORE,
        /** Another executor's pass took the counter first; scan again. */
        CONTENDED
    }

    private final DataSource dataSource;
    private final long pollNanos;
    private final long gatherNanos;
    private final String name;
    private final Runnable onPositioned;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Condition progress = lock.newCondition();
    private final Thread thread;

    // Guarded by lock. Counts of this executor's events: committed, and known to be positioned.
    private long committed;
    private long sequenced;
    private int heldBack;
    private long failedDrains;
    private boolean requested;
    private boolean urgent;
    private boolean closing;
    private boolean stopped;

    // Only touched by the sequencer thread.
    private long next = -1;
    private long lastPassNanos = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
    private int failures;

    private volatile long passes;
    private volatile long positioned;

    /**
     * A sequencer that is not started yet.
     *
     * @param onPositioned run on the sequencer's thread after a drain that positioned rows; must be
     *     quick and must not throw
     */
    Sequencer(DataSource dataSource, Duration pollInterval, Duration gather, String name, Runnable onPositioned) {
        this.dataSource = dataSource;
        this.pollNanos = pollInterval.toNanos();
        this.gatherNanos = gather.toNanos();
        this.name = name;
        this.onPositioned = onPositioned;
        this.thread = Thread.ofVirtual()
                .name("evento-mysql-sequencer-" + THREADS.incrementAndGet())
                .unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** Called after a local write of {@code events} events committed: counts them and wakes the thread. */
    void committed(int events) {
        lock.lock();
        try {
            committed += events;
            requested = true;
            wake.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Called by a writer after its commit (and after {@link #committed(int)}): waits while more than
     * {@link #MAX_BACKLOG} of this executor's events wait for positions, so that a writer cannot run
     * ahead of the passes without bound. Stops waiting, without an error, when a drain fails (the
     * database is failing: the next write will say so) or the executor closes; the write has
     * committed either way.
     */
    void holdBack() {
        lock.lock();
        try {
            if (committed - sequenced <= MAX_BACKLOG) {
                return;
            }
            // The passes are behind: no point gathering, run them back to back.
            requested = true;
            urgent = true;
            wake.signal();
            long failed = failedDrains;
            heldBack++;
            try {
                while (committed - sequenced > MAX_BACKLOG && !stopped && !closing && failedDrains == failed) {
                    progress.await();
                }
            } finally {
                heldBack--;
            }
        } catch (InterruptedException e) {
            // The write committed; returning normally says so truthfully. Keep the interrupt.
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Writers waiting in {@link #holdBack()} now, for tests and diagnostics. */
    int heldBack() {
        lock.lock();
        try {
            return heldBack;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until every write of this executor that committed before the call has a position, or
     * the executor closes, or {@code timeout} passes.
     *
     * @return whether the local writes are positioned
     */
    boolean awaitLocalWrites(Duration timeout) {
        lock.lock();
        try {
            long target = committed;
            if (sequenced >= target) {
                return true;
            }
            requested = true;
            urgent = true;
            wake.signal();
            long failed = failedDrains;
            long nanos = timeout.toNanos();
            // A failed drain means the database is failing: the read would fail too, so let it.
            while (sequenced < target && !stopped && failedDrains == failed && nanos > 0) {
                nanos = progress.awaitNanos(nanos);
            }
            return sequenced >= target;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for the sequencer", e, true);
        } finally {
            lock.unlock();
        }
    }

    /** Passes run so far that assigned positions, for tests and diagnostics. */
    long passes() {
        return passes;
    }

    /** Rows positioned by this sequencer so far. */
    long positioned() {
        return positioned;
    }

    /**
     * Stops the thread after one last drain of the local writes (best effort: if the database
     * fails, another executor's poll positions them).
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
                long target;
                boolean last;
                lock.lock();
                try {
                    long nanos = requested ? 0 : pollNanos;
                    while (!requested && !closing && nanos > 0) {
                        nanos = wake.awaitNanos(nanos);
                    }
                    if (!urgent && !closing && failures == 0 && heldBack == 0) {
                        // Gather: let a busy stream of commits accumulate for a few milliseconds, so
                        // that one pass (one commit of the database) positions many events.
                        long wait = lastPassNanos + gatherNanos - System.nanoTime();
                        while (wait > 0 && !urgent && !closing && heldBack == 0) {
                            wait = wake.awaitNanos(wait);
                        }
                    }
                    requested = false;
                    urgent = false;
                    last = closing;
                    target = committed;
                } finally {
                    lock.unlock();
                }
                lastPassNanos = System.nanoTime();
                long positionedBefore = positioned;
                Drain drain = drainOnce();
                lock.lock();
                try {
                    if (drain == Drain.DONE) {
                        sequenced = Math.max(sequenced, target);
                    } else if (drain == Drain.FAILED) {
                        failedDrains++;
                    }
                    progress.signalAll();
                } finally {
                    lock.unlock();
                }
                if (positioned != positionedBefore) {
                    // Outside the lock, so that listeners never hold up readers waiting for progress.
                    onPositioned.run();
                }
                if (last) {
                    return;
                }
                if (drain != Drain.DONE) {
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

    /** How a drain ended. */
    private enum Drain {
        /** Everything committed before it began is positioned. */
        DONE,
        /** Other executors' passes kept winning the counter; they are positioning the rows. */
        CONTENDED,
        /** The database failed. */
        FAILED
    }

    /** Runs passes until everything committed is positioned. */
    private Drain drainOnce() {
        try (Connection c = dataSource.getConnection()) {
            // The executor's own pool is at READ COMMITTED already; a data source may not be. The
            // pass's range update on the primary key would take gap locks at REPEATABLE READ.
            int isolation = c.getTransactionIsolation();
            boolean autoCommit = c.getAutoCommit();
            if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
            if (!autoCommit) {
                // Each pass is one auto-committed statement; left uncommitted it would be lost.
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
            next = -1;
            if (failures == 1) {
                LOG.warn("Sequencer of {} failed, retrying: {}", name, e.toString());
            } else {
                LOG.debug("Sequencer of {} failed again ({} times)", name, failures, e);
            }
            return Drain.FAILED;
        }
    }

    private Drain drain(Connection c) throws SQLException {
        for (int attempt = 0; ; attempt++) {
            Outcome outcome = pass(c);
            if (outcome == Outcome.DRAINED) {
                if (failures > 0) {
                    LOG.info("Sequencer of {} works again", name);
                }
                failures = 0;
                return Drain.DONE;
            }
            if (outcome == Outcome.CONTENDED && attempt > 100) {
                // Others keep winning the counter: they are making progress, so let them.
                requestAgain();
                return Drain.CONTENDED;
            }
        }
    }

    private void requestAgain() {
        lock.lock();
        try {
            requested = true;
        } finally {
            lock.unlock();
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
     * One pass: scans, then assigns positions chunk by chunk.
     *
     * @param c a connection in auto-commit mode
     */
    Outcome pass(Connection c) throws SQLException {
        if (next < 0) {
            // Read before the scan: if the compare-and-set below succeeds, no pass committed since,
            // so every row the scan returns is still without a position.
            next = readNext(c);
        }
        List<Row> rows = scan(c);
        if (rows.isEmpty()) {
            return Outcome.DRAINED;
        }
        boolean truncated = rows.size() >= SCAN_LIMIT;
        List<List<Row>> chunks = chunks(rows, truncated);
        if (chunks.isEmpty()) {
            chunks = List.of(completeOpenCommits(c, rows));
        }
        for (List<Row> chunk : chunks) {
            int updated = assign(c, chunk, next);
            if (updated == 0) {
                next = -1;
                return Outcome.CONTENDED;
            }
            if (updated != chunk.size() + 1) {
                // Cannot happen while the counter row fences every pass; positions stay unique.
                LOG.warn(
                        "Sequencer of {} positioned {} of {} rows; some had a position already",
                        name,
                        updated - 1,
                        chunk.size());
            }
            next += chunk.size();
            passes++;
            positioned += chunk.size();
        }
        return truncated ? Outcome.MORE : Outcome.DRAINED;
    }

    private static List<Row> scan(Connection c) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement scan = c.prepareStatement(SCAN);
                ResultSet rs = scan.executeQuery()) {
            while (rs.next()) {
                rows.add(row(rs));
            }
        }
        return rows;
    }

    private static Row row(ResultSet rs) throws SQLException {
        return new Row(rs.getLong(1), EventSql.text(rs, 2), EventSql.text(rs, 3), rs.getInt(4), rs.getInt(5));
    }

    /**
     * Cuts rows (in {@code seq} order) into chunks of about {@link #CHUNK_SIZE} rows, only where no
     * commit is open. Rows of one aggregate come in version order, so a commit of an aggregate is
     * open from its first row until the row whose version ends it. If the scan was truncated, the
     * rows after the last safe cut are left for the next pass (empty result if there is no safe cut);
     * otherwise the scan saw whole commits only and its end is safe.
     */
    static List<List<Row>> chunks(List<Row> rows, boolean truncated) {
        Map<Aggregate, Integer> open = new HashMap<>();
        List<List<Row>> chunks = new ArrayList<>();
        int start = 0;
        int lastSafe = -1;
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            Aggregate a = new Aggregate(r.type(), r.id());
            if (r.version() < r.commitEnd()) {
                open.put(a, r.commitEnd());
            } else {
                open.remove(a);
            }
            if (open.isEmpty()) {
                lastSafe = i;
                if (i + 1 - start >= CHUNK_SIZE) {
                    chunks.add(List.copyOf(rows.subList(start, i + 1)));
                    start = i + 1;
                }
            }
        }
        if (!truncated && !open.isEmpty()) {
            // A consistent read sees whole commits: a scan that was not truncated ends with none open.
            throw new IllegalStateException("the scan ended inside a commit of " + open.keySet());
        }
        if (lastSafe >= start) {
            chunks.add(List.copyOf(rows.subList(start, lastSafe + 1)));
        }
        return chunks;
    }

    /**
     * The rare case of a truncated scan without a single point where no commit is open: the scanned
     * rows plus the rest of every commit they leave open, read by aggregate and version, in {@code
     * seq} order.
     */
    private static List<Row> completeOpenCommits(Connection c, List<Row> rows) throws SQLException {
        Map<Aggregate, Row> lastOfAggregate = new LinkedHashMap<>();
        for (Row r : rows) {
            lastOfAggregate.put(new Aggregate(r.type(), r.id()), r);
        }
        List<Row> all = new ArrayList<>(rows);
        Set<Long> seen = new HashSet<>();
        rows.forEach(r -> seen.add(r.seq()));
        try (PreparedStatement rest = c.prepareStatement(REST_OF_COMMIT)) {
            for (Row last : lastOfAggregate.values()) {
                if (last.version() >= last.commitEnd()) {
                    continue;
                }
                rest.setString(1, last.type());
                rest.setString(2, last.id());
                rest.setInt(3, last.version());
                rest.setInt(4, last.commitEnd());
                try (ResultSet rs = rest.executeQuery()) {
                    while (rs.next()) {
                        Row r = row(rs);
                        if (seen.add(r.seq())) {
                            all.add(r);
                        }
                    }
                }
            }
        }
        all.sort(Comparator.comparingLong(Row::seq));
        return all;
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

    /**
     * Gives the rows positions {@code from, from + 1, ..} in {@code seq} order, and moves the counter
     * from {@code from} past them, in one statement, only if the counter is still at {@code from}.
     *
     * <p>The rows are named as runs of consecutive {@code seq}s (usually few: a multi-row insert is
     * one run, and committed rows are only split where a write is still in flight or failed). A run
     * is exact, as no other row can have a {@code seq} inside it, and the position of a row of a run
     * is its {@code seq} plus the run's offset, so the statement costs the same for one row or ten
     * thousand.
     *
     * @return the rows matched: the rows' count plus one for the counter, or 0 if the counter moved
     */
    static int assign(Connection c, List<Row> chunk, long from) throws SQLException {
        List<long[]> runs = runs(chunk);
        try (PreparedStatement update = c.prepareStatement(assignSql(runs.size()))) {
            int p = 1;
            for (long[] run : runs) {
                update.setLong(p++, run[0]);
                update.setLong(p++, run[1]);
            }
            update.setLong(p++, from + chunk.size());
            long position = from;
            for (long[] run : runs) {
                update.setLong(p++, run[1]);
                update.setLong(p++, position - run[0]);
                position += run[1] - run[0] + 1;
            }
            update.setLong(p, from);
            return update.executeUpdate();
        }
    }

    /** The rows' {@code seq}s (ascending) as runs {@code [first, last]} of consecutive values. */
    static List<long[]> runs(List<Row> chunk) {
        List<long[]> runs = new ArrayList<>();
        long first = chunk.getFirst().seq();
        long last = first;
        for (int i = 1; i < chunk.size(); i++) {
            long seq = chunk.get(i).seq();
            if (seq != last + 1) {
                runs.add(new long[] {first, last});
                first = seq;
            }
            last = seq;
        }
        runs.add(new long[] {first, last});
        return runs;
    }

    /** The statement of {@link #assign}, for {@code runs} runs. */
    static String assignSql(int runs) {
        // FORCE INDEX: with statistics older than a backlog (a bulk import into a young table), the
        // optimizer takes the position index for "position = 0" and reads every unpositioned
        // entry for each chunk: four times the cost per row of the primary key's range, measured
        // with 100k rows waiting.
        StringBuilder sql = new StringBuilder(200 + runs * 60)
                .append("UPDATE evento_sequence s JOIN evento_event e FORCE INDEX (PRIMARY) ON (");
        for (int i = 0; i < runs; i++) {
            sql.append(i == 0 ? "" : " OR ").append("e.seq BETWEEN ? AND ?");
        }
        sql.append(") SET s.next_position = ?, e.position = CASE");
        for (int i = 0; i < runs; i++) {
            sql.append(" WHEN e.seq <= ? THEN e.seq + ?");
        }
        return sql.append(" END WHERE s.name = 'global' AND s.next_position = ? AND e.position = 0")
                .toString();
    }
}
