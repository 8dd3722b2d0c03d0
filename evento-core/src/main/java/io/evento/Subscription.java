package io.evento;

import io.evento.internal.EventTypes;
import io.evento.internal.Micros;
import io.evento.internal.Validation;
import io.evento.spi.Executor;
import io.evento.spi.JdbcExecutor;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.SubscriberState;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * Processes every event of the log, continuously and in the global order, with a durable checkpoint:
 * how read models, e-mails and integrations follow the log.
 *
 * <pre>{@code
 * SubscriptionHandle handle = evento.subscription("balances")
 *         .on(MoneyDeposited.class, (event, context) -> balances.add(event.aggregatorId(), event.data().amount()))
 *         .on(MoneyWithdrawn.class, (event, context) -> balances.add(event.aggregatorId(), -event.data().amount()))
 *         .routingKey("eu")
 *         .retry(5)
 *         .start();
 * ...
 * handle.shutdown();
 * }</pre>
 *
 * <h2>Guarantees</h2>
 *
 * <ul>
 *   <li><b>Every event, in order, at least once.</b> Events are handled in the store's global order,
 *       which never skips an event committed late. The checkpoint moves once per chunk, after every
 *       event of the chunk was handled, so a crash redelivers at most the chunk in progress: make
 *       handlers idempotent, or use a {@linkplain Builder#transactional() transactional}
 *       subscription.
 *   <li><b>Exactly once for same-database read models.</b> A transactional subscription runs each
 *       chunk's handlers and the checkpoint in one JDBC transaction ({@link Context#connection()}):
 *       either both commit or neither does.
 *   <li><b>One worker at a time.</b> A worker holds a lease on the subscription key (renewed by a
 *       heartbeat) across processes; a worker that lost its lease cannot move the checkpoint. A
 *       crashed worker's lease lapses after {@link Builder#leaseTtl(Duration)} and another worker
 *       resumes from the checkpoint. {@link Builder#partitions(int)} splits the work by aggregate,
 *       with one lease per partition, so several processes share it while each aggregate's events
 *       stay in order.
 *   <li><b>Woken at once.</b> Executors that announce commits ({@link Executor#onCommit}) wake the
 *       worker as soon as events are readable; polling every {@link Builder#pollInterval(Duration)}
 *       is the fallback.
 *   <li><b>Failures.</b> A failing handler is retried with exponential backoff; after the last
 *       retry the subscription stops (the checkpoint stays before the event), or, with {@link
 *       Builder#acceptFailure()}, the event is parked in the dead-letter store and processing goes
 *       on. Parked events can be listed, retried and discarded.
 * </ul>
 *
 * <p>By default a subscription receives the events <em>without</em> a routing key, as in Evento;
 * choose {@link Builder#routingKey(String)} or {@link Builder#all()} for others. It reads the
 * aggregate types its handlers belong to.
 *
 * <p>A {@code Subscription} is the definition; {@link #start()} runs it in the background and
 * {@link #execute()} catches up once. The operations ({@link #status()}, {@link #reset()}, {@link
 * #pause()}, {@link #parked()}, ...) act on the stored state and work from any process.
 */
public final class Subscription {

    /**
     * Handles one event type.
     *
     * @param <E> the event type
     */
    @FunctionalInterface
    public interface Handler<E> {
        /**
         * Handles the event. Throwing makes the attempt fail: it is retried, then the subscription
         * stops or parks the event.
         *
         * @param event the event
         * @param context the subscription's context
         * @throws Exception if handling failed
         */
        void handle(Event<E> event, Context context) throws Exception;
    }

    /** What a handler can reach besides its event. */
    public interface Context {
        /**
         * The key the event is processed under: the subscription key, or a partition's key.
         *
         * @return the key
         */
        String key();

        /**
         * Which attempt this is: 1 the first time, more on retries.
         *
         * @return the attempt number
         */
        int attempt();

        /**
         * The Evento the subscription runs on.
         *
         * @return the evento
         */
        Evento evento();

        /**
         * The executor the subscription reads from.
         *
         * @return the executor
         */
        Executor executor();

        /**
         * Shared data: values given to {@link Builder#data(Object)}, then those of {@link
         * Evento.Builder#data(Object)}.
         *
         * @param type the value's class (or a supertype of it)
         * @param <T> the value type
         * @return the value
         * @throws IllegalStateException if no such value was shared
         */
        <T> T data(Class<T> type);

        /**
         * The transaction of a {@linkplain Builder#transactional() transactional} subscription:
         * write the read model with it, and it commits together with the checkpoint. Do not commit,
         * roll back or close it.
         *
         * @return the connection
         * @throws IllegalStateException if the subscription is not transactional
         */
        Connection connection();
    }

    /** How many events to count at most per read when computing lag. */
    private static final int LAG_PAGE = Limits.PAGE_MAX_SIZE;

    final Evento evento;
    final String key;
    final HandlerTable<Handler<Object>> table;
    final boolean safetyCheck;
    final RoutingFilter routing;
    final List<EventFilter> filters;
    final int chunkSize;
    final int retries;
    final Duration initialBackoff;
    final Duration maxBackoff;
    final Duration delay;
    final boolean acceptFailure;
    final Map<Class<?>, Object> data;
    final Duration leaseTtl;
    final Duration pollInterval;
    final int partitions;
    final boolean transactional;
    final String workerId;
    private final Set<SubscriptionHandle> running = ConcurrentHashMap.newKeySet();

    private Subscription(Builder b) {
        this.evento = b.evento;
        this.key = b.key;
        this.table = b.table.build();
        this.safetyCheck = b.safetyCheck;
        this.routing = b.routing;
        this.chunkSize = b.chunkSize;
        this.retries = b.retries;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.delay = b.delay;
        this.acceptFailure = b.acceptFailure;
        this.data = Map.copyOf(b.data);
        this.leaseTtl = b.leaseTtl;
        this.pollInterval = b.pollInterval;
        this.partitions = b.partitions;
        this.transactional = b.transactional;
        this.workerId = b.workerId;
        this.filters = table.handledFamilies().stream()
                .map(family -> (EventFilter) new EventFilter.ByType(EventTypes.aggregatorTypeOf(family)))
                .toList();
    }

    /**
     * The subscription key.
     *
     * @return the key
     */
    public String key() {
        return key;
    }

    /**
     * The keys the checkpoints and leases are stored under: the key itself, or one key per
     * partition ({@code key#p/n}).
     *
     * @return the keys, in partition order
     */
    public List<String> keys() {
        if (partitions == 1) {
            return List.of(key);
        }
        List<String> keys = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            keys.add(partitionKey(key, p, partitions));
        }
        return keys;
    }

    /**
     * Starts processing in the background, on virtual threads, after the configured {@linkplain
     * Builder#delay(Duration) delay}.
     *
     * @return the handle to stop it and to watch it
     */
    public SubscriptionHandle start() {
        SubscriptionHandle handle = new SubscriptionHandle(this);
        running.add(handle);
        handle.start();
        return handle;
    }

    /**
     * Catches up once: processes every event readable now, moves the checkpoint, releases the lease
     * and returns. The configured delay does not apply.
     *
     * @throws IllegalStateException if another worker holds the lease of a key
     * @throws SubscriptionFailedException if an event failed after its retries (and failures are
     *     not accepted); events before it were acknowledged
     */
    public void execute() {
        SubscriptionHandle handle = new SubscriptionHandle(this);
        running.add(handle);
        try {
            handle.runOnce();
        } finally {
            running.remove(handle);
        }
    }

    /**
     * The state of each key of the subscription: lease holder, checkpoint, lag and parked events.
     * Lag is counted by reading the events after the checkpoint, so it costs a scan of the lag.
     *
     * @return one status per key, in {@link #keys()} order
     */
    public List<SubscriptionStatus> status() {
        Executor executor = evento.executor();
        Instant now = evento.clock().instant();
        List<SubscriptionStatus> all = new ArrayList<>();
        List<String> keys = keys();
        for (int p = 0; p < keys.size(); p++) {
            String k = keys.get(p);
            Optional<SubscriberState> state = executor.subscriber(k);
            Optional<String> cursor = state.flatMap(SubscriberState::cursor);
            long lag = 0;
            Optional<Instant> oldest = Optional.empty();
            Optional<String> at = cursor;
            while (true) {
                Page<StoredEvent> page = executor.read(
                        new ReadQuery(filters, routing, new PageRequest(PageRequest.Direction.FORWARD, LAG_PAGE, at)));
                for (StoredEvent e : page.nodes()) {
                    if (inPartition(e, p)) {
                        lag++;
                        if (oldest.isEmpty()) {
                            oldest = Optional.of(Micros.toInstant(e.timestampMicros()));
                        }
                    }
                }
                if (!page.pageInfo().hasNextPage() || page.isEmpty()) {
                    break;
                }
                at = page.pageInfo().endCursor();
            }
            Duration lagTime = oldest.map(o -> Duration.between(o, now))
                    .filter(d -> !d.isNegative())
                    .orElse(Duration.ZERO);
            boolean leased = state.map(s -> s.leased(now)).orElse(false);
            all.add(new SubscriptionStatus(
                    k,
                    leased ? state.flatMap(SubscriberState::workerId) : Optional.empty(),
                    leased ? state.map(SubscriberState::leaseExpiresAt) : Optional.empty(),
                    cursor,
                    state.map(SubscriberState::paused).orElse(false),
                    lag,
                    lagTime,
                    executor.parked(k, Limits.PAGE_MAX_SIZE).size()));
        }
        return all;
    }

    /**
     * Starts again from the beginning: every event will be processed again. A worker running now
     * loses its lease at its next acknowledgement and resumes from the new checkpoint.
     */
    public void reset() {
        keys().forEach(k -> evento.executor().resetSubscriber(k, Optional.empty()));
    }

    /**
     * Moves the checkpoint to a position: processing resumes with the event after {@code cursor}. A
     * worker running now loses its lease and resumes from there.
     *
     * @param cursor a cursor of this store, from a page's {@link Edge#cursor()} or {@link
     *     SubscriptionStatus#cursor()}
     * @throws InvalidCursorException if the cursor is not one of this store's
     */
    public void resetTo(String cursor) {
        // Read once with the cursor so a foreign or damaged one is refused now, not by the worker later.
        evento.executor().read(ReadQuery.all(PageRequest.forward(1, cursor)));
        keys().forEach(k -> evento.executor().resetSubscriber(k, Optional.of(cursor)));
    }

    /** Pauses the subscription, in every process: its workers stop at their next lease renewal. */
    public void pause() {
        keys().forEach(k -> evento.executor().pauseSubscriber(k, true));
    }

    /** Resumes a paused subscription; waiting workers take it up again within a poll interval. */
    public void resume() {
        keys().forEach(k -> evento.executor().pauseSubscriber(k, false));
    }

    /**
     * The events set aside after their retries failed (see {@link Builder#acceptFailure()}).
     *
     * @return the parked events of every key, oldest first per key, at most {@link
     *     Limits#PAGE_MAX_SIZE} per key
     */
    public List<ParkedEvent> parked() {
        List<ParkedEvent> all = new ArrayList<>();
        keys().forEach(k -> all.addAll(evento.executor().parked(k, Limits.PAGE_MAX_SIZE)));
        return all;
    }

    /**
     * Discards a parked event without handling it.
     *
     * @param eventId the event's id
     * @return {@code true} if it was parked
     */
    public boolean discardParked(String eventId) {
        boolean any = false;
        for (String k : keys()) {
            any |= evento.executor().unpark(k, eventId);
        }
        return any;
    }

    /**
     * Runs the handlers again on the parked events (the oldest {@link Limits#PAGE_MAX_SIZE} of each
     * key), once each: those that succeed are removed from the dead-letter store, in the handler's
     * transaction for a transactional subscription; the others stay parked with the new error and
     * one more attempt.
     *
     * <p>It needs the lease of each key: when this subscription runs in this process the running
     * worker does it between two chunks; otherwise the lease is taken for the duration.
     *
     * @return how many parked events were handled successfully
     * @throws IllegalStateException if a worker in another process holds a key's lease
     */
    public int retryParked() {
        int handled = 0;
        for (String k : keys()) {
            Optional<Integer> byRunningWorker = running.stream()
                    .map(h -> h.retryParked(k))
                    .flatMap(Optional::stream)
                    .findFirst();
            if (byRunningWorker.isPresent()) {
                handled += byRunningWorker.get();
                continue;
            }
            handled += new SubscriptionHandle(this).retryParkedAlone(k);
        }
        return handled;
    }

    @Override
    public String toString() {
        return "Subscription[" + key + "]";
    }

    // ---------------------------------------------------------------------------------------------
    // Used by the worker
    // ---------------------------------------------------------------------------------------------

    void stopped(SubscriptionHandle handle) {
        running.remove(handle);
    }

    /** The handler of a resolved event, per {@link HandlerTable#choose}. */
    Optional<Handler<Object>> handlerFor(Evento.Resolved r) {
        return table.choose(r, safetyCheck);
    }

    boolean inPartition(StoredEvent e, int partition) {
        return partition < 0 || partitionOf(e.aggregatorType(), e.aggregatorId(), partitions) == partition;
    }

    int partitionOf(String partitionKey) {
        List<String> keys = keys();
        return partitions == 1 ? -1 : keys.indexOf(partitionKey);
    }

    <T> Optional<T> data(Class<T> type) {
        Object exact = data.get(type);
        if (exact != null) {
            return Optional.of(type.cast(exact));
        }
        Optional<T> assignable =
                data.values().stream().filter(type::isInstance).map(type::cast).findFirst();
        return assignable.isPresent() ? assignable : evento.data(type);
    }

    /**
     * The partition an aggregate belongs to: stable across processes and versions, so every worker
     * agrees on it.
     */
    static int partitionOf(String aggregatorType, String aggregatorId, int partitions) {
        CRC32C crc = new CRC32C();
        crc.update(aggregatorType.getBytes(StandardCharsets.UTF_8));
        crc.update(0);
        crc.update(aggregatorId.getBytes(StandardCharsets.UTF_8));
        return (int) Math.floorMod(crc.getValue(), (long) partitions);
    }

    static String partitionKey(String key, int partition, int partitions) {
        return key + "#" + partition + "/" + partitions;
    }

    /** Configures a {@link Subscription}; start one with {@link Evento#subscription(String)}. */
    public static final class Builder {
        private final Evento evento;
        private final String key;
        private final HandlerTable.Builder<Handler<Object>> table;
        private final Map<Class<?>, Object> data = new LinkedHashMap<>();
        private boolean safetyCheck;
        private RoutingFilter routing = RoutingFilter.NONE;
        private int chunkSize = 100;
        private int retries = 3;
        private Duration initialBackoff = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private Duration delay = Duration.ZERO;
        private boolean acceptFailure;
        private Duration leaseTtl = Duration.ofSeconds(30);
        private Duration pollInterval = Duration.ofSeconds(1);
        private int partitions = 1;
        private boolean transactional;
        private String workerId = defaultWorkerId();

        Builder(Evento evento, String key) {
            this.evento = Objects.requireNonNull(evento, "evento");
            // Room for the longest partition suffix ("#9999/10000"), so every partition key fits too.
            if (key != null && key.length() > Limits.NAME_MAX_LENGTH - 11) {
                throw new IllegalArgumentException("subscription key is " + key.length()
                        + " characters long, the maximum is " + (Limits.NAME_MAX_LENGTH - 11));
            }
            this.key = Validation.name("subscription key", key);
            if (key.contains("#")) {
                throw new IllegalArgumentException(
                        "subscription key must not contain '#', which separates partition keys: " + key);
            }
            this.table = new HandlerTable.Builder<>("subscription '" + key + "'");
        }

        /**
         * Handles an event type: an event record, or a sealed interface (a family annotated with
         * {@link Aggregate}, or a sealed sub-family) to handle all its events that have no more
         * specific handler, for example with an exhaustive {@code switch}. An event goes to the most
         * specific registered type it is an instance of, whatever the order of registration. The
         * subscription reads the aggregate types its handlers belong to.
         *
         * @param type the event class
         * @param handler handles the event
         * @param <E> the event type
         * @return this builder
         * @throws IllegalArgumentException if the type is not an event, a sealed sub-family or a
         *     family, or its family is not registered with the Evento
         * @throws IllegalStateException if the type already has a handler
         */
        @SuppressWarnings("unchecked")
        public <E> Builder on(Class<E> type, Handler<? super E> handler) {
            evento.requireRegistered(EventTypes.familyOf(Objects.requireNonNull(type, "type")));
            table.on(type, (Handler<Object>) handler);
            return this;
        }

        /**
         * Declares that events of these types are deliberately ignored, so the safety check accepts
         * them. A skip is chosen like a handler: it applies to the events whose most specific
         * registered type it is.
         *
         * @param types event records, sealed sub-families or families
         * @return this builder
         * @throws IllegalArgumentException if a type is not an event, a sealed sub-family or a family,
         *     or its family is not registered with the Evento
         * @throws IllegalStateException if a type has a handler
         */
        public Builder skip(Class<?>... types) {
            for (Class<?> type : types) {
                evento.requireRegistered(EventTypes.familyOf(Objects.requireNonNull(type, "type")));
                table.skip(type);
            }
            return this;
        }

        /**
         * Makes an event of a read aggregate type that has no handler and is not skipped, or whose
         * name is not registered, a failure (retried, then stopping or parked) instead of being
         * ignored.
         *
         * @return this builder
         */
        public Builder safetyCheck() {
            this.safetyCheck = true;
            return this;
        }

        /**
         * Processes only the events of aggregates created with this routing key.
         *
         * @param routingKey the routing key
         * @return this builder
         */
        public Builder routingKey(String routingKey) {
            this.routing = RoutingFilter.key(routingKey);
            return this;
        }

        /**
         * Processes the events of every routing key, and those without one.
         *
         * @return this builder
         */
        public Builder all() {
            this.routing = RoutingFilter.ALL;
            return this;
        }

        /**
         * How many events are read and handled between two checkpoints (default 100): larger chunks
         * mean fewer acknowledgements and more redelivery after a crash.
         *
         * @param size from 1 to {@link Limits#PAGE_MAX_SIZE}
         * @return this builder
         */
        public Builder chunkSize(int size) {
            this.chunkSize = Validation.limit("chunkSize", size, Limits.PAGE_MAX_SIZE);
            return this;
        }

        /**
         * How many times a failed event is retried before the subscription stops or parks it
         * (default 3; 0 for no retry).
         *
         * @param retries the number of retries
         * @return this builder
         */
        public Builder retry(int retries) {
            if (retries < 0 || retries > 1_000) {
                throw new IllegalArgumentException("retries must be between 0 and 1000, was " + retries);
            }
            this.retries = retries;
            return this;
        }

        /**
         * The wait before a retry: {@code initial}, doubling each time up to {@code max}, each wait
         * drawn at random from its upper half so that workers failing together do not retry together
         * (defaults 100 ms and 30 s).
         *
         * @param initial the first wait
         * @param max the longest wait
         * @return this builder
         */
        public Builder backoff(Duration initial, Duration max) {
            this.initialBackoff = positive("initial backoff", initial);
            this.maxBackoff = positive("max backoff", max);
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("max backoff " + max + " is shorter than initial " + initial);
            }
            return this;
        }

        /**
         * How long {@link #start()} waits before processing, for example to let the application
         * finish starting.
         *
         * @param delay the wait, zero by default
         * @return this builder
         */
        public Builder delay(Duration delay) {
            Objects.requireNonNull(delay, "delay");
            if (delay.isNegative()) {
                throw new IllegalArgumentException("delay must not be negative, was " + delay);
            }
            this.delay = delay;
            return this;
        }

        /**
         * After the last retry, parks the failing event in the dead-letter store and goes on,
         * instead of stopping the subscription.
         *
         * @return this builder
         */
        public Builder acceptFailure() {
            this.acceptFailure = true;
            return this;
        }

        /**
         * Shares a value with the handlers ({@link Context#data(Class)}), looked up before the
         * Evento's own shared data.
         *
         * @param value the value
         * @return this builder
         */
        public Builder data(Object value) {
            Objects.requireNonNull(value, "value");
            data.put(value.getClass(), value);
            return this;
        }

        /**
         * How long a worker's lease lasts without renewal (default 30 s): a crashed worker is
         * replaced this long after its last heartbeat. Heartbeats renew it every third of it.
         *
         * @param ttl at least 100 ms
         * @return this builder
         */
        public Builder leaseTtl(Duration ttl) {
            positive("lease ttl", ttl);
            if (ttl.compareTo(Duration.ofMillis(100)) < 0) {
                throw new IllegalArgumentException("lease ttl must be at least 100 ms, was " + ttl);
            }
            this.leaseTtl = ttl;
            return this;
        }

        /**
         * How often an idle worker looks for new events when it is not woken by a commit (default
         * 1 s), and how often a waiting worker tries to take the lease.
         *
         * @param interval the interval
         * @return this builder
         */
        public Builder pollInterval(Duration interval) {
            this.pollInterval = positive("poll interval", interval);
            return this;
        }

        /**
         * Splits the subscription into {@code n} partitions by a hash of the aggregate id, each with
         * its own lease and checkpoint ({@link Subscription#keys()}). Processes running the same
         * subscription share the partitions evenly; each aggregate's events stay in order. Changing
         * {@code n} later starts new keys from the beginning.
         *
         * @param n from 1 (no partitioning, the default) to 1,000
         * @return this builder
         */
        public Builder partitions(int n) {
            this.partitions = Validation.limit("partitions", n, 1_000);
            return this;
        }

        /**
         * Runs each chunk's handlers and its checkpoint in one JDBC transaction, reachable by the
         * handlers as {@link Context#connection()}: a read model in the same database is updated
         * exactly once. Needs a {@link JdbcExecutor} (SQLite, PostgreSQL, MySQL).
         *
         * @return this builder
         * @throws IllegalStateException if the executor is not a {@link JdbcExecutor}
         */
        public Builder transactional() {
            if (!(evento.executor() instanceof JdbcExecutor)) {
                throw new IllegalStateException("a transactional subscription needs an executor with JDBC "
                        + "transactions (SQLite, PostgreSQL, MySQL); " + evento.executor() + " is not one");
            }
            this.transactional = true;
            return this;
        }

        /**
         * Names this process in leases and status (default: host, process id and a random suffix).
         * Each run ({@link Subscription#start()}, {@link Subscription#execute()}) leases under this
         * name plus a suffix of its own, so two runs never share a lease.
         *
         * @param workerId the id
         * @return this builder
         */
        public Builder workerId(String workerId) {
            Validation.id("workerId", workerId);
            if (workerId.length() > Limits.ID_MAX_LENGTH - 6) {
                throw new IllegalArgumentException("workerId is " + workerId.length()
                        + " characters long, the maximum is " + (Limits.ID_MAX_LENGTH - 6)
                        + " (each run adds a 6-character suffix)");
            }
            this.workerId = workerId;
            return this;
        }

        /**
         * Builds the subscription without starting it.
         *
         * @return the subscription
         * @throws IllegalStateException if no handler was registered, or an event is an instance of
         *     two registered types neither of which is more specific (register the event itself)
         */
        public Subscription build() {
            if (table.isEmpty()) {
                throw new IllegalStateException("subscription " + key + " has no handler; add one with on(..)");
            }
            if (leaseTtl.compareTo(pollInterval) < 0) {
                // A waiting worker polls for the lease; one that polls slower than leases lapse
                // would leave a crashed worker's keys idle for longer than promised.
                pollInterval = leaseTtl;
            }
            return new Subscription(this);
        }

        /**
         * Builds and {@linkplain Subscription#start() starts} the subscription.
         *
         * @return the handle
         */
        public SubscriptionHandle start() {
            return build().start();
        }

        /** Builds the subscription and {@linkplain Subscription#execute() catches up once}. */
        public void execute() {
            build().execute();
        }

        private static Duration positive(String what, Duration d) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, was " + d);
            }
            return d;
        }

        private static String defaultWorkerId() {
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException | SecurityException e) {
                host = "host";
            }
            if (host.length() > 40) {
                host = host.substring(0, 40);
            }
            return host + "-" + ProcessHandle.current().pid() + "-"
                    + UUID.randomUUID().toString().substring(0, 8);
        }
    }
}
