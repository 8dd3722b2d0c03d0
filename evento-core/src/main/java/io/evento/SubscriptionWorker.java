package io.evento;

import io.evento.internal.EventTypes;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Processes one subscription key: takes its lease, reads chunks after the checkpoint, handles them
 * with retries, acknowledges, and waits for new events. One per key, each on its own virtual thread.
 */
final class SubscriptionWorker {
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionWorker.class);

    /** The first re-poll after a wake-up that found nothing: the events may still be held back. */
    private static final Duration SHORT_WAIT = Duration.ofMillis(5);

    private final Subscription sub;
    private final SubscriptionHandle handle;
    private final Executor executor;
    private final String key;
    private final int partition;
    private final boolean once;
    private final ConcurrentLinkedQueue<CompletableFuture<Integer>> retryRequests = new ConcurrentLinkedQueue<>();
    private volatile Lease lease;
    private volatile boolean lost;
    private volatile boolean pausing;
    /** The failure of the last transactional attempt, kept for the retry and the parked entry. */
    private Exception lastFailure;

    /** A handler failure inside a transaction, carried out of it so the transaction rolls back. */
    private static final class HandlerFailed extends RuntimeException {
        @Serial
        private static final long serialVersionUID = 1L;

        final int index;

        HandlerFailed(int index, Exception cause) {
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

    SubscriptionWorker(Subscription sub, SubscriptionHandle handle, String key, int partition, boolean once) {
        this.sub = sub;
        this.handle = handle;
        this.executor = sub.evento.executor();
        this.key = key;
        this.partition = partition;
        this.once = once;
    }

    String key() {
        return key;
    }

    // ---------------------------------------------------------------------------------------------
    // Lifecycle
    // ---------------------------------------------------------------------------------------------

    /** The background loop of a started subscription: runs until the handle stops. */
    void run() {
        Wakeup.Waiter waiter = handle.wakeup().waiter();
        Duration storeBackoff = sub.pollInterval;
        try {
            while (!handle.stopping()) {
                try {
                    if (!handle.reserve(partition)) {
                        waiter.await(sub.pollInterval);
                        continue;
                    }
                    Optional<Lease> taken = executor.acquireLease(key, sub.workerId, sub.leaseTtl);
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
        }
    }

    /** {@link Subscription#execute()}: catch up once with this key. */
    void runOnce() {
        Lease taken = executor.acquireLease(key, sub.workerId, sub.leaseTtl)
                .orElseThrow(() -> new IllegalStateException("subscription '" + key
                        + "' is leased by another worker ("
                        + executor.subscriber(key)
                                .flatMap(SubscriberState::workerId)
                                .orElse("or paused")
                        + "); stop it or wait until its lease lapses"));
        holdAndProcess(taken, handle.wakeup().waiter());
        if (handle.failure().isPresent()) {
            throw (RuntimeException) handle.failure().get();
        }
    }

    private void holdAndProcess(Lease taken, Wakeup.Waiter waiter) {
        lease = taken;
        lost = false;
        pausing = false;
        Heartbeat heartbeat = new Heartbeat();
        Thread beating = Thread.ofVirtual().name("evento-heartbeat-" + key).start(heartbeat);
        try {
            process(waiter);
        } finally {
            heartbeat.stop.countDown();
            joinQuietly(beating);
            handle.unreserve(partition);
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

    private void process(Wakeup.Waiter waiter) {
        Optional<String> cursor = executor.subscriberCursor(key);
        Duration wait = sub.pollInterval;
        while (!handle.stopping() && !lost && !pausing && !handle.shouldRelease(partition)) {
            serveRetryRequests();
            Page<StoredEvent> page = executor.read(new ReadQuery(
                    sub.filters, sub.routing, new PageRequest(PageRequest.Direction.FORWARD, sub.chunkSize, cursor)));
            if (page.isEmpty()) {
                if (once) {
                    return;
                }
                boolean woken = waiter.await(wait);
                // After a wake-up that found nothing, the new events may still be held back behind
                // an older open transaction: look again soon, then less and less often.
                wait = woken ? SHORT_WAIT : min(wait.multipliedBy(2), sub.pollInterval);
                continue;
            }
            wait = sub.pollInterval;
            Optional<String> acked =
                    sub.transactional ? processInTransactions(page.edges()) : processChunk(page.edges());
            if (acked.isPresent()) {
                cursor = acked;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Plain chunks: handle all, acknowledge once
    // ---------------------------------------------------------------------------------------------

    private Optional<String> processChunk(List<Edge<StoredEvent>> edges) {
        String last = null;
        try {
            for (Edge<StoredEvent> edge : edges) {
                if (lost) {
                    return Optional.empty();
                }
                if (handle.stopping()) {
                    break;
                }
                if (sub.inPartition(edge.node(), partition)) {
                    handleWithRetries(edge.node());
                }
                last = edge.cursor();
            }
        } catch (Aborted stop) {
            // Acknowledge what was handled; the event in progress is redelivered.
        } catch (SubscriptionFailedException failed) {
            acknowledge(last);
            throw failed;
        }
        return acknowledge(last) ? Optional.of(last) : Optional.empty();
    }

    private void handleWithRetries(StoredEvent stored) throws Aborted {
        for (int attempt = 1; ; attempt++) {
            try {
                dispatch(stored, null, attempt);
                return;
            } catch (Exception e) {
                if (attempt > sub.retries) {
                    giveUp(stored, attempt, e, null);
                    return;
                }
                retryLater(stored, attempt, e);
            }
        }
    }

    /** After the last retry: park and go on, or stop the subscription. */
    private void giveUp(StoredEvent stored, int attempts, Exception cause, Connection tx) throws Aborted {
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

    private void retryLater(StoredEvent stored, int attempt, Exception cause) throws Aborted {
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

    private Optional<String> processInTransactions(List<Edge<StoredEvent>> edges) {
        String acked = null;
        int from = 0;
        try {
            while (from < edges.size() && !lost && !handle.stopping()) {
                int failedAt = runInTransaction(edges, from, edges.size(), 1);
                if (failedAt < 0) {
                    return Optional.of(edges.getLast().cursor());
                }
                // Commit the events before the failing one, then deal with it alone.
                while (failedAt > from) {
                    int again = runInTransaction(edges, from, failedAt, 1);
                    if (again < 0) {
                        acked = edges.get(failedAt - 1).cursor();
                        from = failedAt;
                        break;
                    }
                    failedAt = again;
                }
                retryAloneInTransactions(edges.get(from));
                acked = edges.get(from).cursor();
                from++;
            }
        } catch (Aborted stop) {
            // What committed is acknowledged; the rest is redelivered.
        } catch (LeaseLostException e) {
            lost = true;
        }
        return Optional.ofNullable(acked);
    }

    /**
     * Handles {@code edges[from, to)} and acknowledges the last one in one transaction.
     *
     * @return -1 if it committed, otherwise the index of the event whose handler failed (rolled back)
     */
    private int runInTransaction(List<Edge<StoredEvent>> edges, int from, int to, int attempt) {
        JdbcExecutor jdbc = (JdbcExecutor) executor;
        try {
            return jdbc.inTransaction(tx -> {
                for (int i = from; i < to; i++) {
                    StoredEvent stored = edges.get(i).node();
                    if (sub.inPartition(stored, partition)) {
                        try {
                            dispatch(stored, tx, attempt);
                        } catch (Exception e) {
                            throw new HandlerFailed(i, e);
                        }
                    }
                }
                jdbc.acknowledge(tx, lease, edges.get(to - 1).cursor());
                return -1;
            });
        } catch (HandlerFailed f) {
            lastFailure = (Exception) f.getCause();
            return f.index;
        }
    }

    private void retryAloneInTransactions(Edge<StoredEvent> edge) throws Aborted {
        StoredEvent stored = edge.node();
        List<Edge<StoredEvent>> one = List.of(edge);
        for (int attempt = 2; ; attempt++) {
            if (attempt > sub.retries + 1) {
                Exception cause = lastFailure;
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
                            throw new LeaseLostException(key, sub.workerId);
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
            if (runInTransaction(one, 0, 1, attempt) < 0) {
                return;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // One event
    // ---------------------------------------------------------------------------------------------

    private void dispatch(StoredEvent stored, Connection tx, int attempt) throws Exception {
        Optional<EventTypes.Descriptor> d = sub.evento.types().resolve(stored.aggregatorType(), stored.name());
        if (d.isEmpty()) {
            if (sub.safetyCheck) {
                throw new EventDecodingException(
                        stored.id(),
                        stored.aggregatorType(),
                        stored.aggregatorId(),
                        stored.version(),
                        stored.name(),
                        "no registered event has this name",
                        null);
            }
            return;
        }
        Class<?> type = d.get().type();
        Optional<Subscription.Handler<Object>> handler = sub.handlerFor(type);
        if (handler.isEmpty()) {
            if (sub.safetyCheck && !sub.isSkipped(type)) {
                throw new UnhandledEventException(
                        "subscription '" + sub.key() + "'",
                        stored.id(),
                        stored.aggregatorType(),
                        stored.aggregatorId(),
                        stored.version(),
                        stored.name());
            }
            return;
        }
        @SuppressWarnings("unchecked")
        Event<Object> event = (Event<Object>) sub.evento.decode(stored, type);
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

    /** Asks this worker to retry its parked events, if it holds its lease now; waits for the answer. */
    Optional<Integer> retryParkedWhileHolding() {
        if (lease == null || lost) {
            return Optional.empty();
        }
        CompletableFuture<Integer> request = new CompletableFuture<>();
        retryRequests.add(request);
        handle.wakeup().wake();
        try {
            return Optional.of(request.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the parked events of '" + key + "' were retried", e);
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
            try {
                request.complete(retryParked(lease));
            } catch (RuntimeException e) {
                request.completeExceptionally(e);
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

    /** Runs the handlers once on each parked event of this key, under {@code held}. */
    int retryParked(Lease held) {
        this.lease = held;
        int handled = 0;
        for (ParkedEvent parked : executor.parked(key, Limits.PAGE_MAX_SIZE)) {
            List<StoredEvent> found =
                    executor.readAggregate(parked.aggregatorType(), parked.aggregatorId(), parked.version() - 1, 1);
            if (found.isEmpty() || !found.getFirst().id().equals(parked.eventId())) {
                LOG.warn("subscription '{}': parked event {} is no longer in the store", key, parked.eventId());
                continue;
            }
            StoredEvent stored = found.getFirst();
            int attempt = parked.attempts() + 1;
            try {
                if (sub.transactional) {
                    ((JdbcExecutor) executor).inTransaction(tx -> {
                        try {
                            dispatch(stored, tx, attempt);
                        } catch (Exception e) {
                            throw new HandlerFailed(0, e);
                        }
                        return null;
                    });
                } else {
                    dispatch(stored, null, attempt);
                }
                executor.unpark(key, parked.eventId());
                handled++;
            } catch (Exception e) {
                Exception cause = e instanceof HandlerFailed f ? (Exception) f.getCause() : e;
                executor.park(
                        held,
                        new ParkedEvent(
                                key,
                                parked.eventId(),
                                parked.aggregatorType(),
                                parked.aggregatorId(),
                                parked.version(),
                                errorText(cause),
                                attempt,
                                sub.evento.clock().instant()));
            }
        }
        return handled;
    }

    // ---------------------------------------------------------------------------------------------
    // Lease heartbeat
    // ---------------------------------------------------------------------------------------------

    /** Renews the lease every third of its lifetime while the worker holds it. */
    private final class Heartbeat implements Runnable {
        final CountDownLatch stop = new CountDownLatch(1);

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
            }
        }

        private boolean renew(Lease current) {
            try {
                Optional<Lease> renewed = executor.acquireLease(key, sub.workerId, sub.leaseTtl);
                if (renewed.isPresent() && renewed.get().token() == current.token()) {
                    lease = renewed.get();
                    return true;
                }
                Optional<SubscriberState> state = executor.subscriber(key);
                boolean stillMine = state.isPresent()
                        && state.get().paused()
                        && state.get().workerId().filter(sub.workerId::equals).isPresent()
                        && state.get().token() == current.token();
                if (stillMine) {
                    // Paused: finish the chunk, acknowledge it with the lease we still hold, release.
                    pausing = true;
                } else {
                    lost = true;
                    LOG.warn("subscription '{}': worker {} lost its lease", key, sub.workerId);
                }
                return false;
            } catch (EventoException e) {
                if (!sub.evento.clock().instant().isBefore(current.expiresAt())) {
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
