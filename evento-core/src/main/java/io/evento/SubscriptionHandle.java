package io.evento;

import io.evento.spi.Executor;
import io.evento.spi.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running subscription, from {@link Subscription#start()}.
 *
 * <p>{@link #shutdown()} stops it gracefully: each worker finishes the event in progress,
 * acknowledges what it handled and releases its lease so another process can take over at once.
 */
public final class SubscriptionHandle implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionHandle.class);

    private final Subscription subscription;
    private final Wakeup wakeup = new Wakeup();
    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final List<SubscriptionWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Set<Integer> held = new HashSet<>();
    private final AtomicInteger liveWorkers = new AtomicInteger();
    private final String owner;
    private int fairShare;
    private volatile Executor.Registration registration = () -> {};

    SubscriptionHandle(Subscription subscription) {
        this.subscription = subscription;
        // Each run leases under its own name: two runs of one subscription in one process must
        // contend for the lease like two processes do, not share it as "the same worker".
        this.owner = subscription.workerId + "/"
                + Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36), 36);
        // Until the coordinator has counted the workers, a partitioned subscription takes nothing.
        this.fairShare = subscription.partitions == 1 ? 1 : 0;
    }

    /**
     * The subscription this handle runs.
     *
     * @return the subscription
     */
    public Subscription subscription() {
        return subscription;
    }

    /**
     * Whether a worker is still running: false after {@link #shutdown()} or a failure.
     *
     * @return {@code true} while running
     */
    public boolean isRunning() {
        return threads.stream().anyMatch(Thread::isAlive);
    }

    /**
     * Why the subscription stopped by itself, if it did: a {@link SubscriptionFailedException}
     * after an event's retries were exhausted, or a permanent store failure.
     *
     * @return the failure, empty while running normally or after a clean shutdown
     */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /**
     * Waits until the subscription stopped, by {@link #shutdown()} or by failing.
     *
     * @param timeout the longest wait
     * @return {@code true} if it stopped within the timeout
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Stops the subscription and waits for it: each worker finishes the event in progress,
     * acknowledges the events it handled and releases its lease. Idempotent.
     */
    public void shutdown() {
        stop.countDown();
        wakeup.wake();
        boolean interrupted = false;
        for (Thread t : threads) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        registration.close();
        subscription.stopped(this);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Same as {@link #shutdown()}. */
    @Override
    public void close() {
        shutdown();
    }

    @Override
    public String toString() {
        return "SubscriptionHandle[" + subscription.key() + (isRunning() ? ", running" : ", stopped") + "]";
    }

    // ---------------------------------------------------------------------------------------------
    // Used by Subscription and the workers
    // ---------------------------------------------------------------------------------------------

    void start() {
        registration = subscription.evento.executor().onCommit(wakeup::wake);
        List<String> keys = subscription.keys();
        for (int p = 0; p < keys.size(); p++) {
            workers.add(
                    new SubscriptionWorker(subscription, this, keys.get(p), owner, keys.size() == 1 ? -1 : p, false));
        }
        liveWorkers.set(workers.size());
        for (SubscriptionWorker worker : workers) {
            threads.add(Thread.ofVirtual()
                    .name("evento-subscription-" + worker.key())
                    .start(() -> {
                        if (subscription.delay.isPositive() && !sleep(subscription.delay)) {
                            workerExited();
                            return;
                        }
                        worker.run();
                    }));
        }
        if (subscription.partitions > 1) {
            threads.add(Thread.ofVirtual()
                    .name("evento-subscription-" + subscription.key() + "-coordinator")
                    .start(new PartitionCoordinator()));
        }
    }

    void runOnce() {
        registration = subscription.evento.executor().onCommit(wakeup::wake);
        try {
            List<String> keys = subscription.keys();
            for (int p = 0; p < keys.size(); p++) {
                new SubscriptionWorker(subscription, this, keys.get(p), owner, keys.size() == 1 ? -1 : p, true)
                        .runOnce();
            }
        } finally {
            registration.close();
        }
    }

    /** Retries the parked events of one key without a running worker, under this run's identity. */
    int retryParkedAlone(String key) {
        return new SubscriptionWorker(subscription, this, key, owner, subscription.partitionOf(key), true)
                .retryParkedAlone();
    }

    /** The last worker to exit, for whatever reason, lets go of the commit listener. */
    void workerExited() {
        if (liveWorkers.decrementAndGet() == 0) {
            stop.countDown();
            wakeup.wake();
            registration.close();
            subscription.stopped(this);
        }
    }

    boolean stopping() {
        return stop.getCount() == 0;
    }

    Wakeup wakeup() {
        return wakeup;
    }

    /** Stops every worker because one failed for good. */
    void fail(Throwable t) {
        if (failure.compareAndSet(null, t)) {
            LOG.error("subscription '{}' stopped", subscription.key(), t);
        }
        stop.countDown();
        wakeup.wake();
    }

    /**
     * Sleeps, unless the subscription stops first.
     *
     * @return {@code true} if the whole time passed, {@code false} if stopping
     */
    boolean sleep(Duration d) {
        try {
            return !stop.await(d.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Reserves a partition before taking its lease: only while this worker is below its fair share. */
    synchronized boolean reserve(int partition) {
        if (partition < 0 || held.contains(partition)) {
            return true;
        }
        if (held.size() < fairShare) {
            held.add(partition);
            return true;
        }
        return false;
    }

    synchronized void unreserve(int partition) {
        held.remove(partition);
    }

    /** Whether a partition should be handed over because this process holds more than its share. */
    synchronized boolean shouldRelease(int partition) {
        return partition >= 0
                && held.size() > fairShare
                && partition == held.stream().mapToInt(Integer::intValue).max().orElse(-1);
    }

    Optional<Integer> retryParked(String key) {
        return workers.stream()
                .filter(w -> w.key().equals(key))
                .findFirst()
                .flatMap(SubscriptionWorker::retryParkedWhileHolding);
    }

    /**
     * Shares partitions between the processes running the same subscription. Each process holds one
     * "slot" lease, which makes it countable; with {@code w} slots taken, each process takes at most
     * {@code ceil(n / w)} partitions and releases any above that, so a newcomer gets its share
     * within a heartbeat and a crashed process's share is taken over once its leases lapse.
     */
    private final class PartitionCoordinator implements Runnable {
        @Override
        public void run() {
            Executor executor = subscription.evento.executor();
            int n = subscription.partitions;
            Duration ttl = subscription.leaseTtl;
            Lease slot = null;
            try {
                while (!stopping()) {
                    try {
                        slot = slot == null
                                ? null
                                : executor.acquireLease(slot.key(), slot.workerId(), ttl)
                                        .orElse(null);
                        for (int i = 0; i < n && slot == null; i++) {
                            slot = executor.acquireLease(slotKey(i), owner, ttl).orElse(null);
                        }
                        int live = 0;
                        java.time.Instant now = subscription.evento.clock().instant();
                        for (int i = 0; i < n; i++) {
                            if (executor.subscriber(slotKey(i))
                                    .map(s -> s.leased(now))
                                    .orElse(false)) {
                                live++;
                            }
                        }
                        int share = slot == null ? 0 : (n + Math.max(live, 1) - 1) / Math.max(live, 1);
                        boolean changed;
                        synchronized (SubscriptionHandle.this) {
                            changed = fairShare != share;
                            fairShare = share;
                        }
                        if (changed) {
                            wakeup.wake();
                        }
                    } catch (EventoException e) {
                        LOG.warn("subscription '{}': could not count its workers", subscription.key(), e);
                    }
                    if (!sleep(ttl.dividedBy(3))) {
                        break;
                    }
                }
            } finally {
                if (slot != null) {
                    try {
                        executor.releaseLease(slot);
                    } catch (EventoException e) {
                        LOG.warn("subscription '{}': could not release its worker slot", subscription.key(), e);
                    }
                }
            }
        }

        private String slotKey(int i) {
            return subscription.key() + "#worker-" + i + "/" + subscription.partitions;
        }
    }
}
