package io.evento;

import io.evento.spi.Executor;
import io.evento.spi.JdbcExecutor;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.SubscriberState;
import java.io.Serial;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Processes one subscription key: takes its lease, reads chunks after the checkpoint, handles them
 * with retries, acknowledges, and waits for new events. One per key, each on its own virtual thread.
 *
 * <p>Two rules keep it correct. The checkpoint only moves past events that were handled (or
 * parked), acknowledged with the lease this worker holds, so a worker that lost its lease cannot
 * move it. And the worker stops dispatching as soon as its lease may have lapsed: the heartbeat
 * sets {@code lost} when a renewal fails, and every dispatch first checks a local deadline measured
 * on this machine's monotonic clock, so a stuck heartbeat cannot let it run on beside its
 * replacement.
 */
final class SubscriptionWorker {
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionWorker.class);

    /** The first re-poll after a wake-up that found nothing: the events may still be held back. */
    private static final Duration SHORT_WAIT = Duration.ofMillis(5);

    private final Subscription sub;
    private final SubscriptionHandle handle;
    private final Executor executor;
    private final String key;
    private final String owner;
    private final int partition;
    private final boolean once;
    private final ConcurrentLinkedQueue<CompletableFuture<Integer>> retryRequests = new ConcurrentLinkedQueue<>();
    private volatile Lease lease;
    private volatile boolean lost;
    private volatile boolean pausing;
    /** When the lease may lapse, by {@link System#nanoTime()}, as measured before its last renewal. */
    private volatile long leaseDeadline;

    private volatile Thread thread;
    /** Events per transaction; halved when a transaction outlives the lease. */
    private int transactionSize;
    /** The failure of the last transactional attempt, kept for the retry and the parked entry. */
    private Throwable lastFailure;

    /** A handler failure inside a transaction, carried out of it so the transaction rolls back. */
    private static final class HandlerFailed extends RuntimeException {
        @Serial
        private static final long serialVersionUID = 1L;

        final int index;

        HandlerFailed(int index, Throwable cause) {
            super(cause);
            this.index = index;
        }
    }

    /** The worker must stop processing the chunk: stopping, or the lease is gone. */
    private static final class Aborted extends Exception {
        @Serial
        private static final long serialVersionUID = 1L;

        Aborted() {
            super(null, null, false, false);
        }
    }

    SubscriptionWorker(
            Subscription sub, SubscriptionHandle handle, String key, String owner, int partition, boolean once) {
        this.sub = sub;
        this.handle = handle;
        this.executor = sub.evento.executor();
        this.key = key;
        this.owner = owner;
        this.partition = partition;
        this.once = once;
        this.transactionSize = sub.chunkSize;
    }

    String key() {
        return key;
    }

    // ---------------------------------------------------------------------------------------------
    // Lifecycle
    // ---------------------------------------------------------------------------------------------

    /** The background loop of a started subscription: runs until the handle stops. */
    void run() {
        thread = Thread.currentThread();
        Wakeup.Waiter waiter = handle.wakeup().waiter();
        Duration storeBackoff = sub.pollInterval;
        try {
            while (!handle.stopping()) {
                try {
                    if (!handle.reserve(partition)) {
                        failRetryRequests();
                        waiter.await(sub.pollInterval);
                        continue;
                    }
                    Optional<Lease> taken = acquire();
                    if (taken.isEmpty()) {
                        handle.unreserve(partition);
                        failRetryRequests();
                        waiter.await(sub.pollInterval);
                        continue;
                    }
                    holdAndProcess(taken.get(), waiter);
                    storeBackoff = sub.pollInterval;
                } catch (SubscriptionFailedException e) {
                    handle.fail(e);
                    return;
                } catch (StoreException e) {
                    if (!e.isTransient()) {
                        handle.fail(e);
                        return;
                    }
                    LOG.warn("subscription '{}': store failure, retrying in {}", key, storeBackoff, e);
                    failRetryRequests();
                    handle.sleep(storeBackoff);
                    storeBackoff = min(storeBackoff.multipliedBy(2), sub.maxBackoff.plus(sub.pollInterval));
                }
            }
        } catch (RuntimeException e) {
            // A bug or a crash of the store: stop this subscription, not the whole application.
            handle.fail(e);
        } catch (Error e) {
            handle.fail(e);
            throw e;
        } finally {
            failRetryRequests();
            handle.workerExited();
        }
    }

    /**
     * {@link Subscription#execute()}: handles every event readable when it starts, then returns.
     *
     * @throws IllegalStateException if the lease is held by another worker, or lost or paused on
     *     the way
     */
    void runOnce() {
        thread = Thread.currentThread();
        Lease taken = acquire().orElseThrow(() -> {
            Optional<SubscriberState> state = executor.subscriber(key);
            if (state.map(SubscriberState::paused).orElse(false)) {
                return new IllegalStateException("subscription '" + key + "' is paused; resume() it first");
            }
            return new IllegalStateException("subscription '" + key + "' is leased by another worker ("
                    + state.flatMap(SubscriberState::workerId).orElse("?")
                    + "); stop it or wait until its lease lapses");
        });
        // Stop at the last event readable now, or a busy log would keep execute() running for ever.
        Optional<String> head =
                executor.read(new ReadQuery(sub.filters, sub.routing, PageRequest.backward(1))).nodes().stream()
                        .map(StoredEvent::id)
                        .findFirst();
        if (head.isEmpty()) {
            executor.releaseLease(taken);
            return;
        }
        holdAndProcess(taken, handle.wakeup().waiter(), head.get());
        if (lost || pausing) {
            throw new IllegalStateException("subscription '" + key + "' stopped before catching up: "
                    + (pausing ? "it was paused" : "its lease was lost or revoked")
                    + "; the events handled so far are acknowledged");
        }
    }

    private Optional<Lease> acquire() {
        long before = System.nanoTime();
        Optional<Lease> taken = executor.acquireLease(key, owner, sub.leaseTtl);
        taken.ifPresent(l -> leaseDeadline = before + sub.leaseTtl.toNanos());
        return taken;
    }

    private void holdAndProcess(Lease taken, Wakeup.Waiter waiter) {
        holdAndProcess(taken, waiter, null);
    }

    private void holdAndProcess(Lease taken, Wakeup.Waiter waiter, String stopAfter) {
        lease = taken;
        lost = false;
        pausing = false;
        Heartbeat heartbeat = startHeartbeat();
        try {
            process(waiter, stopAfter);
        } finally {
            heartbeat.stop();
            handle.unreserve(partition);
            failRetryRequests();
            if (!lost) {
                try {
                    executor.releaseLease(lease);
                } catch (EventoException e) {
                    LOG.warn("subscription '{}': could not release its lease; it lapses by itself", key, e);
                }
            }
            lease = null;
        }
    }

    private void process(Wakeup.Waiter waiter, String stopAfter) {
        Optional<String> cursor = executor.subscriberCursor(key);
        Duration wait = sub.pollInterval;
        ReadAhead ahead = null;
        try {
            while (!handle.stopping() && !lost && !pausing && !handle.shouldRelease(partition)) {
                serveRetryRequests();
                Page<StoredEvent> page;
                if (ahead != null && cursor.isPresent() && ahead.after.equals(cursor.get())) {
                    ReadAhead done = ahead;
                    page = done.page().orElseGet(() -> read(done.after()));
                } else {
                    if (ahead != null) {
                        ahead.discard();
                    }
                    page = read(cursor);
                }
                ahead = null;
                if (page.isEmpty()) {
                    if (once) {
                        return;
                    }
                    boolean woken = waiter.await(wait);
                    // After a wake-up that found nothing, the new events may still be held back
                    // behind an older open transaction: look again soon, then less and less often.
                    wait = woken ? SHORT_WAIT : min(wait.multipliedBy(2), sub.pollInterval);
                    continue;
                }
                wait = sub.pollInterval;
                List<Edge<StoredEvent>> edges = page.edges();
                boolean last = false;
                if (stopAfter != null) {
                    for (int i = 0; i < edges.size(); i++) {
                        if (edges.get(i).node().id().equals(stopAfter)) {
                            edges = edges.subList(0, i + 1);
                            last = true;
                            break;
                        }
                    }
                }
                if (!last && page.pageInfo().hasNextPage()) {
                    // Catching up: the next page is read while this one is handled.
                    ahead = new ReadAhead(edges.getLast().cursor());
                }
                Optional<String> acked = sub.transactional ? processInTransactions(edges) : processChunk(edges);
                if (acked.isPresent()) {
                    cursor = acked;
                    if (last && acked.get().equals(edges.getLast().cursor())) {
                        return;
                    }
                }
            }
        } finally {
            if (ahead != null) {
                ahead.discard();
            }
        }
    }

    private Page<StoredEvent> read(Optional<String> cursor) {
        return executor.read(new ReadQuery(
                sub.filters, sub.routing, new PageRequest(PageRequest.Direction.FORWARD, sub.chunkSize, cursor)));
    }

    /**
     * The read of the page after {@code after}, on a virtual thread of its own, started while the
     * worker handles the page that ends at {@code after}: during a catch-up the store's query and
     * the handlers overlap instead of taking turns. A page read early is as safe as one read later:
     * a page only ever holds events nothing can be committed before, so reading it sooner can only
     * make it shorter. It is used only if the chunk is acknowledged up to {@code after}; otherwise
     * (a failure, a stop, a lost lease) it is discarded.
     */
    private final class ReadAhead {
        final String after;
        private final FutureTask<Page<StoredEvent>> task;

        ReadAhead(String after) {
            this.after = after;
            this.task = new FutureTask<>(() -> read(Optional.of(after)));
            Thread.ofVirtual().name("evento-read-ahead-" + key).start(task);
        }

        /**
         * The page, once read; empty if reading it failed (say, no pooled connection was free while
         * a transactional chunk held one): the worker then reads it itself, and a failure there is
         * handled like any failed read.
         */
        Optional<Page<StoredEvent>> page() {
            try {
                return Optional.of(awaitTask());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                LOG.debug("subscription '{}': reading ahead failed; reading again", key, e.getCause());
                return Optional.empty();
            }
        }

        Optional<String> after() {
            return Optional.of(after);
        }

        /**
         * Waits for the read to end and drops its page (or its failure): nothing the worker no
         * longer needs keeps reading the store after the worker moved on or stopped.
         */
        void discard() {
            try {
                awaitTask();
            } catch (ExecutionException e) {
                LOG.debug("subscription '{}': a discarded read-ahead failed", key, e.getCause());
            }
        }

        /** Waits without giving up on an interrupt: the read is bounded, and the interrupt is kept. */
        private Page<StoredEvent> awaitTask() throws ExecutionException {
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        return task.get();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Plain chunks: handle all, acknowledge once
    // ---------------------------------------------------------------------------------------------

    private Optional<String> processChunk(List<Edge<StoredEvent>> edges) {
        // Only the last handled edge's cursor is acknowledged (and encoded).
        Edge<StoredEvent> last = null;
        try {
            for (Edge<StoredEvent> edge : edges) {
                if (handle.stopping()) {
                    break;
                }
                if (sub.inPartition(edge.node(), partition)) {
                    handleWithRetries(edge.node());
                }
                last = edge;
            }
        } catch (Aborted stop) {
            // Acknowledge what was handled; the event in progress is redelivered.
        } catch (SubscriptionFailedException failed) {
            acknowledge(last == null ? null : last.cursor());
            throw failed;
        }
        String cursor = last == null ? null : last.cursor();
        return acknowledge(cursor) ? Optional.of(cursor) : Optional.empty();
    }

    private void handleWithRetries(StoredEvent stored) throws Aborted {
        for (int attempt = 1; ; attempt++) {
            ensureLeased();
            try {
                dispatch(stored, null, attempt);
                return;
            } catch (Throwable e) {
                rethrowIfFatal(e);
                if (attempt > sub.retries) {
                    giveUp(stored, attempt, e, null);
                    return;
                }
                retryLater(stored, attempt, e);
            }
        }
    }

    /** After the last retry: park and go on, or stop the subscription. */
    private void giveUp(StoredEvent stored, int attempts, Throwable cause, Connection tx) throws Aborted {
        if (!sub.acceptFailure) {
            throw new SubscriptionFailedException(key, stored.id(), describe(stored), attempts, cause);
        }
        LOG.error(
                "subscription '{}': parking event {} ({}) after {} attempts",
                key,
                stored.id(),
                describe(stored),
                attempts,
                cause);
        ParkedEvent parked = new ParkedEvent(
                key,
                stored.id(),
                stored.aggregatorType(),
                stored.aggregatorId(),
                stored.version(),
                errorText(cause),
                attempts,
                sub.evento.clock().instant());
        try {
            if (tx == null) {
                executor.park(lease, parked);
            } else {
                ((JdbcExecutor) executor).park(tx, lease, parked);
            }
        } catch (LeaseLostException e) {
            lost = true;
            throw new Aborted();
        }
    }

    private void retryLater(StoredEvent stored, int attempt, Throwable cause) throws Aborted {
        Duration wait = backoff(attempt);
        LOG.warn(
                "subscription '{}': event {} ({}) failed on attempt {}, retrying in {} ms",
                key,
                stored.id(),
                describe(stored),
                attempt,
                wait.toMillis(),
                cause);
        if (!handle.sleep(wait) || lost) {
            throw new Aborted();
        }
    }

    /** Acknowledges {@code cursor} if not null; returns whether the checkpoint moved. */
    private boolean acknowledge(String cursor) {
        if (cursor == null || lost) {
            return false;
        }
        try {
            executor.acknowledge(lease, cursor);
            return true;
        } catch (LeaseLostException e) {
            lost = true;
            return false;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Transactional chunks: handlers and checkpoint commit together
    // ---------------------------------------------------------------------------------------------

    /** What one transaction did. */
    private record Outcome(int failedAt, int committedTo) {
        static final int NONE = -1;
    }

    private Optional<String> processInTransactions(List<Edge<StoredEvent>> edges) {
        String acked = null;
        int from = 0;
        try {
            while (from < edges.size() && !lost && !handle.stopping()) {
                int to = Math.min(edges.size(), from + transactionSize);
                Outcome outcome = runInTransaction(edges, from, to, 1);
                if (outcome.failedAt() == Outcome.NONE) {
                    if (outcome.committedTo() > from) {
                        acked = edges.get(outcome.committedTo() - 1).cursor();
                    }
                    from = outcome.committedTo();
                    continue;
                }
                // Commit the events before the failing one, then deal with it alone.
                int failedAt = outcome.failedAt();
                while (failedAt > from) {
                    Outcome prefix = runInTransaction(edges, from, failedAt, 1);
                    if (prefix.failedAt() == Outcome.NONE) {
                        if (prefix.committedTo() > from) {
                            acked = edges.get(prefix.committedTo() - 1).cursor();
                        }
                        if (prefix.committedTo() < failedAt) {
                            return Optional.ofNullable(acked); // stopping
                        }
                        from = failedAt;
                        break;
                    }
                    failedAt = prefix.failedAt();
                }
                retryAloneInTransactions(edges.get(from));
                acked = edges.get(from).cursor();
                from++;
            }
        } catch (Aborted stop) {
            // What committed is acknowledged; the rest is redelivered.
        } catch (LeaseLostException e) {
            lost = true;
            if (transactionSize > 1) {
                transactionSize = Math.max(1, transactionSize / 2);
                LOG.warn(
                        "subscription '{}': a transaction outlived the lease; down to {} events per transaction"
                                + " (a longer leaseTtl avoids this)",
                        key,
                        transactionSize);
            }
        }
        return Optional.ofNullable(acked);
    }

    /**
     * Handles {@code edges[from, to)} and acknowledges the last handled one in one transaction. It
     * stops early, committing what it handled, when the subscription is stopping.
     */
    private Outcome runInTransaction(List<Edge<StoredEvent>> edges, int from, int to, int attempt) {
        JdbcExecutor jdbc = (JdbcExecutor) executor;
        try {
            return jdbc.inTransaction(tx -> {
                int end = to;
                for (int i = from; i < to; i++) {
                    if (i > from && handle.stopping()) {
                        end = i;
                        break;
                    }
                    StoredEvent stored = edges.get(i).node();
                    if (sub.inPartition(stored, partition)) {
                        try {
                            ensureLeased();
                            dispatch(stored, tx, attempt);
                        } catch (Aborted e) {
                            throw new LeaseLostException(key, owner);
                        } catch (Throwable e) {
                            rethrowIfFatal(e);
                            throw new HandlerFailed(i, e);
                        }
                    }
                }
                jdbc.acknowledge(tx, lease, edges.get(end - 1).cursor());
                return new Outcome(Outcome.NONE, end);
            });
        } catch (HandlerFailed f) {
            lastFailure = f.getCause();
            return new Outcome(f.index, from);
        }
    }

    private void retryAloneInTransactions(Edge<StoredEvent> edge) throws Aborted {
        StoredEvent stored = edge.node();
        List<Edge<StoredEvent>> one = List.of(edge);
        for (int attempt = 2; ; attempt++) {
            if (attempt > sub.retries + 1) {
                Throwable cause = lastFailure;
                int attempts = attempt - 1;
                if (!sub.acceptFailure) {
                    throw new SubscriptionFailedException(key, stored.id(), describe(stored), attempts, cause);
                }
                JdbcExecutor jdbc = (JdbcExecutor) executor;
                try {
                    jdbc.inTransaction(tx -> {
                        try {
                            giveUp(stored, attempts, cause, tx);
                        } catch (Aborted e) {
                            throw new LeaseLostException(key, owner);
                        }
                        jdbc.acknowledge(tx, lease, edge.cursor());
                        return null;
                    });
                } catch (LeaseLostException e) {
                    lost = true;
                    throw new Aborted();
                }
                return;
            }
            retryLater(stored, attempt - 1, lastFailure);
            if (runInTransaction(one, 0, 1, attempt).failedAt() == Outcome.NONE) {
                return;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // One event
    // ---------------------------------------------------------------------------------------------

    /** Stops dispatching once the lease may have lapsed, even if the heartbeat has not said so. */
    private void ensureLeased() throws Aborted {
        if (lost || System.nanoTime() - leaseDeadline > 0) {
            if (!lost) {
                LOG.warn("subscription '{}': lease not renewed in time, stopping before the next event", key);
            }
            lost = true;
            throw new Aborted();
        }
    }

    private void dispatch(StoredEvent stored, Connection tx, int attempt) throws Exception {
        try {
            for (Evento.Resolved r : sub.evento.resolve(stored)) {
                dispatchOne(r, tx, attempt);
            }
        } finally {
            // A handler that restored an interrupt must not turn every later wait of this worker
            // into an immediate return; nothing interrupts workers on purpose.
            if (Thread.currentThread() == thread) {
                Thread.interrupted();
            }
        }
    }

    private void dispatchOne(Evento.Resolved r, Connection tx, int attempt) throws Exception {
        Optional<Subscription.Handler<Object>> handler = sub.handlerFor(r);
        if (handler.isEmpty()) {
            return;
        }
        Class<?> type = r.descriptor().orElseThrow().type();
        @SuppressWarnings("unchecked")
        Event<Object> event = (Event<Object>) sub.evento.decode(r, type);
        handler.get().handle(event, new HandlerContext(tx, attempt));
    }

    private final class HandlerContext implements Subscription.Context {
        private final Connection tx;
        private final int attempt;

        HandlerContext(Connection tx, int attempt) {
            this.tx = tx;
            this.attempt = attempt;
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public int attempt() {
            return attempt;
        }

        @Override
        public Evento evento() {
            return sub.evento;
        }

        @Override
        public Executor executor() {
            return executor;
        }

        @Override
        public <T> T data(Class<T> type) {
            return sub.data(type)
                    .orElseThrow(() -> new IllegalStateException("subscription " + sub.key()
                            + " needs shared data of type " + type.getName()
                            + "; provide it with Subscription.Builder.data(..) or Evento.builder(..).data(..)"));
        }

        @Override
        public Connection connection() {
            if (tx == null) {
                throw new IllegalStateException(
                        "subscription " + sub.key() + " is not transactional; build it with transactional()");
            }
            return tx;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Parked events
    // ---------------------------------------------------------------------------------------------

    /**
     * Asks this worker to retry its parked events if it holds its lease now, and waits for the
     * answer; empty if it does not hold it.
     */
    Optional<Integer> retryParkedWhileHolding() {
        if (Thread.currentThread() == thread) {
            throw new IllegalStateException(
                    "retryParked() was called from a handler of subscription " + sub.key() + "; call it from outside");
        }
        if (lease == null || lost) {
            return Optional.empty();
        }
        CompletableFuture<Integer> request = new CompletableFuture<>();
        retryRequests.add(request);
        if (lease == null || lost) {
            // The worker let go meanwhile and may already have failed the queue: do it again.
            failRetryRequests();
        }
        handle.wakeup().wake();
        try {
            return Optional.of(request.get(sub.leaseTtl.multipliedBy(4).toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the parked events of '" + key + "' were retried", e);
        } catch (TimeoutException e) {
            request.cancel(false);
            throw new IllegalStateException("the worker of '" + key + "' did not get to the parked events in time; "
                    + "it may be busy with a long chunk, try again");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private void serveRetryRequests() {
        CompletableFuture<Integer> request;
        while ((request = retryRequests.poll()) != null) {
            if (request.isDone()) {
                continue;
            }
            try {
                request.complete(retryParked(lease));
            } catch (Throwable e) {
                request.completeExceptionally(e);
                rethrowIfFatal(e);
            }
        }
    }

    private void failRetryRequests() {
        CompletableFuture<Integer> request;
        while ((request = retryRequests.poll()) != null) {
            request.completeExceptionally(
                    new IllegalStateException("the worker of '" + key + "' stopped holding its lease; retry again"));
        }
    }

    /**
     * {@link Subscription#retryParked()} without a running worker: takes the lease with its own
     * identity, keeps it alive with a heartbeat, retries, releases.
     */
    int retryParkedAlone() {
        thread = Thread.currentThread();
        Lease taken = acquire()
                .orElseThrow(() -> new IllegalStateException("cannot retry the parked events of '"
                        + key + "': another worker holds its lease or it is paused ("
                        + executor.subscriber(key)
                                .flatMap(SubscriberState::workerId)
                                .orElse("paused") + ")"));
        lease = taken;
        Heartbeat heartbeat = startHeartbeat();
        try {
            return retryParked(taken);
        } finally {
            heartbeat.stop();
            if (!lost) {
                executor.releaseLease(lease);
            }
            lease = null;
        }
    }

    /**
     * Runs the handlers once on each parked event of this key, under {@code held}. A success leaves
     * the dead-letter store (in the handlers' transaction, for a transactional subscription); a
     * failure stays parked with one more attempt. Store failures propagate: they say nothing about
     * the handler.
     */
    private int retryParked(Lease held) {
        int handled = 0;
        for (ParkedEvent parked : executor.parked(key, Limits.PAGE_MAX_SIZE)) {
            if (lost) {
                throw new LeaseLostException(key, owner);
            }
            List<StoredEvent> found =
                    executor.readAggregate(parked.aggregatorType(), parked.aggregatorId(), parked.version() - 1, 1);
            if (found.isEmpty() || !found.getFirst().id().equals(parked.eventId())) {
                LOG.warn("subscription '{}': parked event {} is no longer in the store", key, parked.eventId());
                continue;
            }
            StoredEvent stored = found.getFirst();
            int attempt = parked.attempts() + 1;
            Throwable failure = null;
            if (sub.transactional) {
                JdbcExecutor jdbc = (JdbcExecutor) executor;
                try {
                    jdbc.inTransaction(tx -> {
                        try {
                            dispatch(stored, tx, attempt);
                        } catch (Throwable e) {
                            rethrowIfFatal(e);
                            throw new HandlerFailed(0, e);
                        }
                        jdbc.unpark(tx, key, parked.eventId());
                        return null;
                    });
                } catch (HandlerFailed f) {
                    failure = f.getCause();
                }
            } else {
                try {
                    dispatch(stored, null, attempt);
                } catch (Throwable e) {
                    rethrowIfFatal(e);
                    failure = e;
                }
                if (failure == null) {
                    executor.unpark(key, parked.eventId());
                }
            }
            if (failure == null) {
                handled++;
            } else {
                executor.park(
                        held,
                        new ParkedEvent(
                                key,
                                parked.eventId(),
                                parked.aggregatorType(),
                                parked.aggregatorId(),
                                parked.version(),
                                errorText(failure),
                                attempt,
                                sub.evento.clock().instant()));
            }
        }
        return handled;
    }

    // ---------------------------------------------------------------------------------------------
    // Lease heartbeat
    // ---------------------------------------------------------------------------------------------

    private Heartbeat startHeartbeat() {
        Heartbeat heartbeat = new Heartbeat();
        heartbeat.thread = Thread.ofVirtual().name("evento-heartbeat-" + key).start(heartbeat);
        return heartbeat;
    }

    /** Renews the lease every third of its lifetime while the worker holds it. */
    private final class Heartbeat implements Runnable {
        private final CountDownLatch stop = new CountDownLatch(1);
        private Thread thread;

        @Override
        public void run() {
            Duration every = sub.leaseTtl.dividedBy(3);
            try {
                while (!stop.await(every.toNanos(), TimeUnit.NANOSECONDS)) {
                    Lease current = lease;
                    if (current == null || !renew(current)) {
                        handle.wakeup().wake();
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                // Without a heartbeat the lease will lapse: say so now rather than at the deadline.
                LOG.error("subscription '{}': the lease heartbeat failed", key, e);
                lost = true;
            }
        }

        void stop() {
            stop.countDown();
            joinQuietly(thread);
        }

        private boolean renew(Lease current) {
            long before = System.nanoTime();
            try {
                Optional<Lease> renewed = executor.acquireLease(key, owner, sub.leaseTtl);
                if (renewed.isPresent() && renewed.get().token() == current.token()) {
                    lease = renewed.get();
                    leaseDeadline = before + sub.leaseTtl.toNanos();
                    return true;
                }
                Optional<SubscriberState> state = executor.subscriber(key);
                boolean stillMine = state.isPresent()
                        && state.get().paused()
                        && state.get().workerId().filter(owner::equals).isPresent()
                        && state.get().token() == current.token();
                if (stillMine) {
                    // Paused: finish the chunk, acknowledge it with the lease we still hold, release.
                    pausing = true;
                } else {
                    lost = true;
                    LOG.warn("subscription '{}': worker {} lost its lease", key, owner);
                }
                return false;
            } catch (EventoException e) {
                if (System.nanoTime() - leaseDeadline > 0) {
                    lost = true;
                    return false;
                }
                LOG.warn("subscription '{}': could not renew the lease, trying again", key, e);
                return true;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------

    private Duration backoff(int attempt) {
        long initial = sub.initialBackoff.toNanos();
        long cap = sub.maxBackoff.toNanos();
        long exp = attempt >= 62 ? cap : Math.min(cap, initial << Math.min(attempt - 1, 40));
        if (exp <= 0) {
            exp = cap;
        }
        // Equal jitter: half fixed so waits still grow, half random so workers spread out.
        long half = exp / 2;
        return Duration.ofNanos(half + ThreadLocalRandom.current().nextLong(half + 1));
    }

    /** Handler failures include most Errors (an AssertionError, a missing class); not a dying JVM. */
    private static void rethrowIfFatal(Throwable t) {
        if (t instanceof VirtualMachineError e) {
            throw e;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static String describe(StoredEvent e) {
        return e.aggregatorType() + "/" + e.aggregatorId() + " v" + e.version() + ", " + e.name();
    }

    /** The failure as stored with a parked event: the exception and its causes, within the limit. */
    static String errorText(Throwable t) {
        StringBuilder text = new StringBuilder();
        for (Throwable c = t; c != null && text.length() < Limits.ERROR_MAX_LENGTH; c = c.getCause()) {
            if (!text.isEmpty()) {
                text.append("\ncaused by: ");
            }
            text.append(c);
            if (c.getCause() == c) {
                break;
            }
        }
        // Stores keep text as UTF-8: NULs and unpaired surrogates cannot be stored faithfully.
        StringBuilder cleaned = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c)
                    ? i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))
                    : !Character.isLowSurrogate(c) || (i > 0 && Character.isHighSurrogate(text.charAt(i - 1)));
            cleaned.append(c == '\0' || !paired ? '?' : c);
        }
        String clean = cleaned.toString();
        if (clean.length() <= Limits.ERROR_MAX_LENGTH) {
            return clean;
        }
        int end = Limits.ERROR_MAX_LENGTH;
        if (Character.isHighSurrogate(clean.charAt(end - 1))) {
            end--;
        }
        return clean.substring(0, end);
    }

    private static void joinQuietly(Thread t) {
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
