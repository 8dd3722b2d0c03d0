package io.evento;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Wakes waiting readers when new events may be readable. A generation counter instead of a flag, so
 * that each waiter notices every wake-up that happened since it last looked, even one that came while
 * it was busy reading.
 */
final class Wakeup {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long generation;

    /** Wakes every waiter. Cheap and non-blocking enough to run on a committing thread. */
    void wake() {
        lock.lock();
        try {
            generation++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A new waiter; it counts as having seen every wake-up so far. */
    Waiter waiter() {
        lock.lock();
        try {
            return new Waiter(generation);
        } finally {
            lock.unlock();
        }
    }

    /** One reader's view of the wake-ups. */
    final class Waiter {
        private long seen;

        private Waiter(long seen) {
            this.seen = seen;
        }

        /**
         * Waits until woken or until {@code timeout} passed.
         *
         * @return {@code true} if woken (now or since the last call), {@code false} on timeout
         */
        boolean await(Duration timeout) {
            long nanos = timeout.toNanos();
            lock.lock();
            try {
                while (generation == seen && nanos > 0) {
                    nanos = changed.awaitNanos(nanos);
                }
                boolean woken = generation != seen;
                seen = generation;
                return woken;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            } finally {
                lock.unlock();
            }
        }
    }
}
