package io.evento.rocksdb;

import io.evento.ConcurrencyException;
import io.evento.StoreException;
import io.evento.rocksdb.StagedGroup.AggregateKey;
import java.util.concurrent.locks.LockSupport;
import org.rocksdb.RocksDBException;

/**
 * An operation for the {@link GroupCommit}: created and awaited by the caller's thread, staged and
 * completed by whoever commits its group. The commands themselves live by concern: {@link
 * EventCommands}, {@link LeaseCommands}, {@link SubscriberCommands}, {@link ParkingCommands},
 * {@link SnapshotCommands}.
 *
 * <p>A command checks everything before it stages its first write, so one that fails (a lost race,
 * a lost lease, a read error) stages nothing and fails alone. Its outcome is published by the
 * volatile {@code done}; its caller parks until then. Callers are woken as a tree (see {@link
 * GroupCommit}): each woken caller wakes the two the committer linked to its command.
 *
 * @param <T> what the command returns to its caller
 */
abstract class Command<T> {
    private final Thread caller = Thread.currentThread();
    private volatile boolean done;
    // Whom this command's caller wakes once it is woken itself; set before `done`.
    private Command<?> left;
    private Command<?> right;
    private T result;
    private RuntimeException failure;

    /** How many races its caller lost in a row before: a higher priority goes first in a group. */
    int priority() {
        return 0;
    }

    /** The aggregate an append writes to; {@code null} for other commands. */
    AggregateKey aggregate() {
        return null;
    }

    /** How much this command counts against the group size: its number of events. */
    int weight() {
        return 1;
    }

    /** Checks the command against the store and stages its writes; sets its outcome. */
    abstract void stage(StagedGroup group) throws RocksDBException;

    /** What the command does, for error messages. */
    abstract String describe();

    final void succeed(T value) {
        result = value;
    }

    final void fail(RuntimeException e) {
        failure = e;
    }

    final boolean failed() {
        return failure != null;
    }

    /** Whether the command failed on its aggregate's version: it lost a race to a concurrent append. */
    final boolean lostRace() {
        return failure instanceof ConcurrencyException;
    }

    /** The thread that queued the command and waits for it. */
    final Thread caller() {
        return caller;
    }

    final boolean isDone() {
        return done;
    }

    /** Publishes the outcome and wakes the caller. */
    final void complete() {
        done = true;
        LockSupport.unpark(caller);
    }

    /** Links the two commands whose callers this one's caller wakes once woken; set before {@link #markDone}. */
    final void wakes(Command<?> left, Command<?> right) {
        this.left = left;
        this.right = right;
    }

    /** Publishes the outcome without waking the caller: it is woken in the tree, or sees it awake. */
    final void markDone() {
        done = true;
    }

    /** Wakes the two callers this one wakes (once: they would keep a stale permit otherwise). */
    final void wakeChildren() {
        if (left != null) {
            LockSupport.unpark(left.caller);
            left = null;
        }
        if (right != null) {
            LockSupport.unpark(right.caller);
            right = null;
        }
    }

    /** Waits for the outcome, uninterruptibly: once queued, the command commits or fails as a whole. */
    final T await() {
        boolean interrupted = false;
        while (!done) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true;
            }
        }
        wakeChildren();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw inCaller(failure);
        }
        return result;
    }

    /** The failure to throw in the caller's thread, so its stack trace shows the caller. */
    RuntimeException inCaller(RuntimeException e) {
        if (e instanceof StoreException s) {
            return new StoreException(s.getMessage(), s, s.isTransient());
        }
        return e;
    }
}
