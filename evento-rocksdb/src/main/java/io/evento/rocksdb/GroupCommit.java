package io.evento.rocksdb;

import io.evento.ConcurrencyException;
import io.evento.StoreException;
import io.evento.internal.CommitSignal;
import io.evento.rocksdb.StagedGroup.AggregateKey;
import io.evento.rocksdb.StagedGroup.Head;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The store's group commit: every write of the executor is a {@link Command}, queued here and
 * committed in groups, one group at a time, each group in one RocksDB write batch.
 *
 * <h2>Why groups</h2>
 *
 * <p>A caller wraps its operation in a {@link Command} (encoding its events on its own thread),
 * queues it and parks until its group is committed. Whoever commits (the <em>writer</em>, below)
 * takes everything queued (up to {@code maxBatch} events), stages the commands one after the other
 * into one RocksDB {@link WriteBatch} and writes that batch once, with the executor's durability —
 * one write-ahead-log append, and with synced writes ({@code SURVIVES_POWER_LOSS}) one fsync, for
 * the whole group. Only then does it complete the group's commands, so a caller returns only once
 * its write is visible to every reader. The commands live by concern ({@link EventCommands},
 * {@link LeaseCommands}, {@link SubscriberCommands}, {@link ParkingCommands}, {@link
 * SnapshotCommands}); this class only knows how to group, order, stage, write and release them.
 *
 * <p>Each command is checked against the store as it will be when the commands staged before it
 * in the same group are written: the writer keeps the group's changes (aggregate heads, subscriber
 * records, parked events) in an overlay, the {@link StagedGroup}, and consults it before the store.
 * The outcome is exactly that of running the group's commands one at a time. A command whose check
 * fails (a {@link ConcurrencyException}, a lost lease) stages nothing and fails alone; the others
 * in its group still commit. Commands check everything before they stage their first write, so one
 * that throws while checking (a read error, say) fails alone too. If the batch write itself fails,
 * every command of the group fails with that {@link StoreException}: the outcome of each may have
 * depended on the others.
 *
 * <h2>Who commits: the writer thread, or a combining caller</h2>
 *
 * <p>Whoever commits a group holds the writer's role: the writer's state below (heads, turns, held
 * back commands, the last position) is touched only by the role's holder, handed over under the
 * queue's lock. The writer thread holds it by default. But a caller that finds the writer thread
 * idle and nobody else committing takes the role itself ({@code combining}) and commits the queue
 * (its own command and whatever else is queued) on its own thread; meanwhile the writer thread
 * waits. Handing the role back, it wakes the writer thread only if that has work (commands queued
 * meanwhile or held back for a turn, closing, a failure). Either way one group is committed at a
 * time, in the same order, with the same checks: only the thread differs.
 *
 * <p>With synced writes ({@link io.evento.Durability#SURVIVES_POWER_LOSS}), callers that find the
 * role taken queue and park, and commits that overlap are grouped: they share one fsync. A commit
 * that meets no other costs no hand-off to the writer thread and back (two wake-ups that, with 8
 * writers each committing 1 event without sync, held appends to 0.64–0.73 of raw {@code db.write}
 * calls). A virtual thread never combines: its carrier would stay pinned for the fsync, so it
 * queues and parks, unmounted.
 *
 * <h2>Taking turns without a sync to share</h2>
 *
 * <p>Without a sync ({@link io.evento.Durability#SURVIVES_PROCESS_CRASH}, the default), a batch
 * costs little more than its own commands, and what costs is waking each caller whose command
 * another thread committed: a context switch per commit (8 writers of 1 event: 0.88 of raw
 * {@code db.write} calls grouped, against 1.05 for callers committing in turn, in alternating
 * rounds of one process). So each caller queues and combines holding the {@code committers} lock,
 * which is not fair: a caller that is running takes it again before a parked one is woken, as a raw
 * writer behind a lock does, and commits its own command on its own thread. That trades tail
 * latency for throughput: with 16 writers, p50 0.057 → 0.009 ms and p99.9 8 → 32 ms in a stress
 * run. The writer thread still commits what is queued while it is busy (a turn's held-back
 * commands) and what is left at close; commands still pass one at a time through the same checks,
 * turns and positions.
 *
 * <h2>Fairness for losers</h2>
 *
 * <p>The commands of one group were queued concurrently, so any order of them is a valid one. By
 * default it is queue order. But callers racing on one aggregate ("append after the current
 * version" in a retry loop) are synchronized by the group commit: they are all released at once,
 * all read the new version, and all land in the next group, where only the first can win — and the
 * same caller tends to be first again. So the writer orders a group by how many races each caller
 * lost in a row before (see {@link Command#priority()}) and releases the losers before the winners.
 * That alone is not enough when the machine is busy: a released loser may not be back in time for
 * the next group, which a winner then joins alone and wins again. So after a group in which appends
 * to an aggregate lost, that aggregate is the most starved loser's <em>turn</em> for {@value
 * #TURN_MILLIS} ms: appends to it from callers that lost fewer races in a row wait (the writer
 * holds them back from its groups) until that loser's append arrives or the turn ends. With
 * {@code k} callers racing, none loses more than about {@code k} times in a row; a loser that does
 * not come back costs the others one turn's wait.
 *
 * <p>Callers are released as a tree, losers first: the writer wakes one caller, and each woken
 * caller wakes two more (see {@link #release}), so waking a group costs the writer one system call,
 * not one per caller.
 *
 * <h2>Positions</h2>
 *
 * <p>The writer alone assigns positions, consecutively from the last one written, and publishes a
 * group's positions in one atomic batch. So the committed log is always a gap-free prefix {@code 1
 * .. n}: see {@link RocksDbExecutor} for why a reader therefore never skips an event.
 *
 * <h2>Aggregate heads</h2>
 *
 * <p>Checking an append needs its aggregate's current version and routing key. The writer keeps the
 * most recently used heads in a bounded map (only it reads or writes the map, so it needs no lock);
 * on a miss it asks the aggregates column family two point questions that bloom filters answer
 * cheaply: does version {@code v} exist, and does {@code v + 1} not? The map is updated only after
 * a batch is written, so a failed batch leaves it untouched.
 *
 * <h2>The dead-letter store</h2>
 *
 * <p>Parked events are numbered by a sequence the writer alone assigns, like positions (the last one
 * is kept in the meta column family, in the same batch), and stored under {@code (key, sequence)}:
 * a subscription's parked events, read by prefix, come oldest first. The lookup {@code (key, event
 * id) → sequence} lets parking the same event again overwrite its entry in place, keeping its
 * sequence and so its place, and lets unparking delete it without a scan. Parking is checked
 * against the lease in the same step as it is staged, so it is fenced exactly like acknowledging.
 *
 * <h2>Closing and failures</h2>
 *
 * <p>{@link #close()} refuses new commands, lets the writer thread commit those already queued (the
 * held-back ones included, without further turns) and waits for it to end. A failed check or a
 * failed batch write fails only its command or its group (above). Anything else that goes wrong
 * while committing — a native error, a stack overflow at the application's depth — stops the
 * writer: the role goes back (a combining caller gives it up, the writer thread waits for one to),
 * every command not yet done fails with a {@link StoreException}, and so does every later one. No
 * caller is left parked for a group that will never be committed.
 *
 * <h2>Commit notifications</h2>
 *
 * <p>After a batch holding appends is written and its callers released, whoever committed it fires
 * the executor's {@link CommitSignal}: the writer thread, or a combining caller before its own
 * write returns. Listeners must be quick.
 */
final class GroupCommit {
    private static final int HEAD_CACHE_SIZE = 16_384;

    private final Store store;
    private final Clock clock;
    private final int maxBatch;
    private final String closedMessage;
    private final CommitSignal signal;
    private final Thread thread;
    // A synced write waits for an fsync in native code, which pins a virtual thread to its carrier:
    // virtual callers then leave the commit to the writer thread.
    private final boolean syncs;
    // Used by whoever commits: the writer thread, or a caller in the combining role.
    private final WriteBatch batch = new WriteBatch();

    // Without synced writes (SURVIVES_PROCESS_CRASH), taken by each caller around queueing and
    // combining. Not fair: a caller that is running takes it before one that must first be woken.
    private final ReentrantLock committers = new ReentrantLock();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition queued = lock.newCondition();
    private final ArrayDeque<Command<?>> queue = new ArrayDeque<>(); // guarded by lock
    private boolean idle; // guarded by lock: the writer waits for `queued`
    private boolean combining; // guarded by lock: a caller commits in the writer's stead
    private boolean closing; // guarded by lock
    private StoreException stopped; // guarded by lock: why the writer died, if it did

    private final AtomicLong writeBatches = new AtomicLong();
    private final AtomicLong appends = new AtomicLong();

    /** How long an aggregate stays its most starved loser's turn, in milliseconds. */
    static final int TURN_MILLIS = 2;

    // Owned by whoever holds the role: the writer thread, or a combining caller.
    private final Map<AggregateKey, Turn> turns = new HashMap<>();
    private final ArrayDeque<Command<?>> heldBack = new ArrayDeque<>();
    private long lastPosition;
    private long lastParked;
    private final Map<AggregateKey, Head> heads = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<AggregateKey, Head> eldest) {
            return size() > HEAD_CACHE_SIZE;
        }
    };

    GroupCommit(Store store, Clock clock, int maxBatch, String closedMessage, CommitSignal signal) {
        this.store = store;
        this.clock = clock;
        this.maxBatch = maxBatch;
        this.closedMessage = closedMessage;
        this.signal = signal;
        this.lastPosition = store.lastPosition;
        this.lastParked = store.lastParked;
        this.syncs = store.writeOptions.sync();
        // A platform thread: every write is a native call, which would pin a virtual thread anyway.
        this.thread = Thread.ofPlatform()
                .daemon(true)
                .name("evento-rocksdb-writer-" + store.storeId)
                .unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** How many batches were written to RocksDB. */
    long writeBatches() {
        return writeBatches.get();
    }

    /** How many appends were committed. */
    long appends() {
        return appends.get();
    }

    /** Whether the writer thread waits for work, with nobody committing in its stead. */
    boolean idle() {
        lock.lock();
        try {
            return idle && !combining;
        } finally {
            lock.unlock();
        }
    }

    /** How many commands wait in the queue (not counting those the writer is committing). */
    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues a command and waits until the writer has completed it.
     *
     * @throws StoreException if the writer is closed, or the write failed
     */
    <T> T submit(Command<T> command) {
        boolean appended = false;
        if (syncs) {
            appended = enqueue(command) && combine(command);
        } else {
            // Without a sync to share, callers take the role in turn, as they would a lock, and
            // each commits on its own thread; see the class comment.
            committers.lock();
            try {
                appended = enqueue(command) && combine(command);
            } finally {
                committers.unlock();
            }
        }
        if (appended) {
            // After the role went back and the group's callers were woken, holding no lock: later
            // commits and this group's callers do not wait for the listeners, and a listener that
            // throws strands nobody.
            signal.fire();
        }
        return command.await();
    }

    /**
     * Queues a command; {@code true} if the caller is to commit the queue itself (it then holds the
     * combining role), otherwise the writer thread is woken if it was idle.
     *
     * @throws StoreException if the writer is closed or stopped
     */
    private boolean enqueue(Command<?> command) {
        lock.lock();
        try {
            if (stopped != null) {
                throw new StoreException(stopped.getMessage(), stopped, false);
            }
            if (closing) {
                throw new StoreException(closedMessage, null, false);
            }
            queue.addLast(command);
            boolean combine =
                    idle && !combining && (!syncs || !Thread.currentThread().isVirtual());
            if (combine) {
                combining = true;
            } else if (idle && !combining) {
                idle = false;
                queued.signal();
            }
            return combine;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Commits one group on the caller's thread, in the writer's stead: the writer is idle and the
     * caller holds the {@code combining} role, which gives it the writer's state (the lock hands it
     * over; the writer thread waits while the role is held). Afterwards the role goes back, and the
     * writer thread is woken only if it has work: commands queued meanwhile or held back for a turn,
     * closing, or a failure.
     *
     * @return whether the group appended events: the caller then fires the commit signal
     */
    private boolean combine(Command<?> own) {
        List<Command<?>> group = new ArrayList<>();
        boolean appended;
        boolean holding = true;
        try {
            lock.lock();
            try {
                fill(group);
            } finally {
                lock.unlock();
            }
            appended = commit(group);
            lock.lock();
            try {
                combining = false;
                holding = false;
                if (!queue.isEmpty() || !heldBack.isEmpty() || closing || stopped != null) {
                    // All: besides the writer thread, a failing thread may wait in die().
                    queued.signalAll();
                }
            } finally {
                lock.unlock();
            }
        } catch (Throwable t) {
            // Whatever failed (a native error, a stack overflow at the application's depth), the
            // role must go back and nobody may wait for this group: the writer stops.
            die(t, group, holding);
            throw t;
        } finally {
            if (own.isDone()) {
                // Its two (see release), outside the role, which the unparks would only lengthen.
                own.wakeChildren();
            }
        }
        return appended;
    }

    /** Refuses new commands, lets the writer commit those already queued, and waits for it to end. */
    void close() {
        lock.lock();
        try {
            closing = true;
            queued.signal();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        List<Command<?>> group = new ArrayList<>();
        try {
            while (take(group)) {
                if (commit(group)) {
                    signal.fire();
                }
                group.clear();
            }
        } catch (Throwable t) {
            die(t, group, false);
            if (t instanceof Error error) {
                throw error;
            }
        } finally {
            // Nobody commits any more: the writer stopped or closed, and a combiner that was
            // running has handed the role back (die waits for it).
            batch.close();
        }
    }

    /**
     * Stops the writer after an unexpected failure while committing {@code group}: every command not
     * yet done fails, and so does every later one.
     *
     * @param combiner whether the caller holds the combining role (it gives it back); otherwise (the
     *     writer thread, or a caller that gave the role back already) it first waits for a combiner
     *     that may be running to give the role back, since the held-back commands are the role's
     */
    private void die(Throwable t, List<Command<?>> group, boolean combiner) {
        StoreException failure = new StoreException("the RocksDB writer stopped unexpectedly: " + t, t, false);
        List<Command<?>> orphans = new ArrayList<>(group);
        lock.lock();
        try {
            stopped = failure;
            idle = false;
            if (combiner) {
                combining = false;
            } else {
                while (combining) {
                    queued.awaitUninterruptibly();
                }
            }
            orphans.addAll(heldBack);
            heldBack.clear();
            orphans.addAll(queue);
            queue.clear();
            queued.signalAll();
        } finally {
            lock.unlock();
        }
        for (Command<?> command : orphans) {
            if (!command.isDone()) {
                command.fail(failure);
                command.complete();
            }
        }
    }

    /**
     * Waits for work and moves the next group into {@code group}: the commands held back for a turn
     * first (they were queued earlier), then the queue. With only held-back commands, waits for a
     * new one until the earliest turn ends. {@code false} once closed and drained.
     */
    private boolean take(List<Command<?>> group) {
        lock.lock();
        try {
            while (combining || queue.isEmpty()) {
                if (stopped != null) {
                    return false;
                }
                if (combining) {
                    idle = true;
                    queued.awaitUninterruptibly();
                    continue;
                }
                if (!heldBack.isEmpty()) {
                    long wait = closing ? 0 : heldBackWait();
                    if (wait <= 0) {
                        break;
                    }
                    idle = true;
                    try {
                        queued.awaitNanos(wait);
                    } catch (InterruptedException e) {
                        // Nobody interrupts the writer; if someone does, the wait is just shorter
                        // (and the loop looks again: a caller may have taken the role meanwhile).
                    }
                    continue;
                }
                if (closing) {
                    return false;
                }
                idle = true;
                queued.awaitUninterruptibly();
            }
            idle = false;
            if (closing) {
                // Closing commits what is queued without further turns.
                turns.clear();
            }
            fill(group);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves the next group into {@code group}: the queued appends of losers whose turn it is first,
     * then the commands held back for a turn (they were queued earlier), then the rest of the queue.
     * Held back commands alone could fill a group and leave the loser they wait for in the queue,
     * its turn running out with nobody served.
     */
    private void fill(List<Command<?>> group) {
        int weight = 0;
        if (!turns.isEmpty()) {
            for (Iterator<Command<?>> it = queue.iterator(); it.hasNext(); ) {
                Command<?> next = it.next();
                Turn turn = next.aggregate() == null ? null : turns.get(next.aggregate());
                if (turn != null
                        && next.priority() >= turn.priority()
                        && (group.isEmpty() || weight + next.weight() <= maxBatch)) {
                    group.add(next);
                    it.remove();
                    weight += next.weight();
                }
            }
        }
        weight = moveInto(group, heldBack, weight);
        moveInto(group, queue, weight);
    }

    /**
     * Moves commands from the head of {@code from} into {@code group} while the group holds at most
     * {@code maxBatch} events (but at least one command).
     *
     * @param weight the events the group holds already
     * @return the events it holds now; above {@code maxBatch} only if a full group stopped the move
     */
    private int moveInto(List<Command<?>> group, ArrayDeque<Command<?>> from, int weight) {
        while (!from.isEmpty()) {
            Command<?> next = from.peekFirst();
            if (!group.isEmpty() && weight + next.weight() > maxBatch) {
                return maxBatch + 1;
            }
            group.add(from.pollFirst());
            weight += next.weight();
        }
        return weight;
    }

    /**
     * How long, in nanoseconds, until a held-back command may go: until its aggregate's turn ends,
     * or none if that turn is over (a full group may have left it behind after the turn ended).
     */
    private long heldBackWait() {
        long now = System.nanoTime();
        long wait = Long.MAX_VALUE;
        for (Command<?> command : heldBack) {
            Turn turn = turns.get(command.aggregate());
            if (turn == null) {
                return 0;
            }
            wait = Math.min(wait, turn.untilNanos() - now);
        }
        return wait;
    }

    /**
     * Moves out of {@code group} the appends to an aggregate that is a loser's turn, from callers
     * that lost fewer races in a row, unless that loser's append is in the group (the sort below
     * then puts it first, and the turn is over).
     */
    private void holdBackForTurns(List<Command<?>> group) {
        long now = System.nanoTime();
        turns.values().removeIf(turn -> turn.untilNanos() <= now);
        if (turns.isEmpty()) {
            return;
        }
        for (Command<?> command : group) {
            Turn turn = command.aggregate() == null ? null : turns.get(command.aggregate());
            if (turn != null && command.priority() >= turn.priority()) {
                turns.remove(command.aggregate());
            }
        }
        if (turns.isEmpty()) {
            return;
        }
        group.removeIf(command -> {
            Turn turn = command.aggregate() == null ? null : turns.get(command.aggregate());
            if (turn != null && command.priority() < turn.priority()) {
                heldBack.addLast(command);
                return true;
            }
            return false;
        });
    }

    /** Gives each aggregate whose appends lost in this group to its most starved loser, for a turn. */
    private void startTurns(List<Command<?>> group) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TURN_MILLIS);
        for (Command<?> command : group) {
            if (command.aggregate() != null && command.lostRace()) {
                // The loser comes back having lost one more race in a row.
                turns.merge(
                        command.aggregate(),
                        new Turn(command.priority() + 1, until),
                        (old, fresh) -> old.priority() >= fresh.priority() ? old : fresh);
            }
        }
    }

    /** Commits a group and releases its callers; {@code true} if it appended events. */
    private boolean commit(List<Command<?>> group) {
        holdBackForTurns(group);
        if (group.isEmpty()) {
            return false;
        }
        if (group.size() > 1 && hasPriority(group)) {
            // Commands of one group are concurrent: any order is a valid one. Callers that lost
            // recent races go first (stable otherwise), so a retry loop cannot lose forever.
            group.sort(Comparator.comparingInt(Command<?>::priority).reversed());
        }
        batch.clear();
        StagedGroup staged = new StagedGroup(store, clock, heads, batch, lastPosition + 1, lastParked + 1);
        boolean appended = false;
        try {
            for (Command<?> command : group) {
                int puts = staged.puts();
                try {
                    command.stage(staged);
                } catch (RocksDBException | RuntimeException e) {
                    if (staged.puts() != puts) {
                        // Commands check everything before they stage a write; this cannot be undone.
                        throw e;
                    }
                    command.fail(
                            e instanceof RocksDBException r
                                    ? RocksErrors.failure(command.describe(), r)
                                    : (RuntimeException) e);
                }
            }
            if (staged.puts() > 0) {
                // The last position needs no record of its own: it is the events' last key.
                long last = staged.nextPosition() - 1;
                long parked = staged.nextParked() - 1;
                if (parked != lastParked) {
                    batch.put(store.meta, Keys.LAST_PARKED, Keys.position(parked));
                }
                store.db.write(store.writeOptions, batch);
                writeBatches.incrementAndGet();
                lastPosition = last;
                lastParked = parked;
                heads.putAll(staged.heads());
                appends.addAndGet(staged.appends());
                appended = staged.appends() > 0;
            }
        } catch (RocksDBException e) {
            StoreException failure = RocksErrors.failure("writing a batch of " + group.size() + " operations", e);
            group.forEach(command -> command.fail(failure));
        } catch (RuntimeException e) {
            StoreException failure =
                    new StoreException("writing a batch of " + group.size() + " operations failed: " + e, e, false);
            group.forEach(command -> command.fail(failure));
            appended = false;
        }
        startTurns(group);
        release(group);
        return appended;
    }

    /**
     * Completes a group's commands and wakes their callers: the losers first (see the class
     * comment), and as a tree — this thread wakes the first caller only, and each woken caller wakes
     * two more — so waking a group costs the writer one system call, not one per caller.
     */
    private static void release(List<Command<?>> group) {
        List<Command<?>> order = new ArrayList<>(group.size());
        for (Command<?> command : group) {
            if (command.failed()) {
                order.add(command);
            }
        }
        for (Command<?> command : group) {
            if (!command.failed()) {
                order.add(command);
            }
        }
        // A combining caller is awake already: at the root, it wakes its two itself once it has
        // handed the role back, and nobody unparks it. Unparked, it would keep a stale permit, and
        // its next park elsewhere (in the application) would return at once.
        Thread self = Thread.currentThread();
        for (int i = 1; i < order.size(); i++) {
            if (order.get(i).caller() == self) {
                order.addFirst(order.remove(i));
                break;
            }
        }
        int size = order.size();
        for (int i = 0; i < size; i++) {
            Command<?> command = order.get(i);
            command.wakes(
                    2 * i + 1 < size ? order.get(2 * i + 1) : null, 2 * i + 2 < size ? order.get(2 * i + 2) : null);
        }
        // Done from the last to the first. A caller may see its command done before anyone wakes it
        // (it had not parked yet) and wake its two at once, so theirs must be done already: a caller
        // that sees command i done sees every later one done too (volatile flags, set in that
        // order), and its two are later. Set first to last, a writer preempted half-way left a
        // caller woken too early: it found its flag still false, parked again, and nobody woke it.
        for (int i = size - 1; i >= 0; i--) {
            order.get(i).markDone();
        }
        if (order.getFirst().caller() != self) {
            LockSupport.unpark(order.getFirst().caller());
        }
    }

    private static boolean hasPriority(List<Command<?>> group) {
        for (Command<?> command : group) {
            if (command.priority() > 0) {
                return true;
            }
        }
        return false;
    }

    /** An aggregate's turn: appends from callers below {@code priority} wait until {@code untilNanos}. */
    private record Turn(int priority, long untilNanos) {}
}
