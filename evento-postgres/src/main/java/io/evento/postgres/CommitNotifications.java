package io.evento.postgres;

import io.evento.StoreException;
import io.evento.internal.CommitSignal;
import io.evento.spi.Executor;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wake-up of subscribers after commits, in this process and in every other process using the
 * same store, through PostgreSQL's {@code LISTEN} / {@code NOTIFY} on one channel per schema.
 *
 * <h2>Notifying</h2>
 *
 * <p>{@code NOTIFY} is never part of the transaction that writes events: PostgreSQL serialises the
 * commits of all transactions that notify on one global lock, which would make concurrent writers
 * wait for each other. Instead, after a commit, {@link #committed()} wakes this process's listeners
 * at once, on the committing thread, and asks a background notifier thread to send {@code SELECT
 * pg_notify(channel, '')} on a connection of its own. Requests are coalesced: at most one
 * notification is in flight, and every commit made while it is, or in the {@link #NOTIFY_INTERVAL}
 * after it, becomes one more notification after that. The request flag is cleared before a
 * notification is sent, so a commit made at any moment after that is announced by a later one: the
 * last commit is never left unannounced. A commit thus pays one atomic operation (and, only if the
 * notifier is idle, waking it), never a round trip.
 *
 * <h2>Listening</h2>
 *
 * <p>While at least one listener is registered, a listener thread holds a connection that has run
 * {@code LISTEN} on the channel and waits for notifications, calling the listeners on each batch
 * that did not come from this process's own notifier (those commits already called them). The
 * listeners are also called once each time the connection is (re-)established, since commits made
 * while it was not listening went unannounced. A broken connection is reopened with an exponential
 * backoff; a connection idle for a while is checked with a trivial query, so a connection the
 * network silently dropped is noticed too.
 *
 * <p>Both threads are daemon threads started on first need and stopped by {@link #close()}, which
 * waits for them; the listener thread also stops when the last registration is closed.
 */
final class CommitNotifications implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CommitNotifications.class);

    /**
     * The least time between two notifications of one executor, which bounds how late another
     * process learns of a commit made while the previous notification was recent. A notification
     * is a transaction of its own and costs about what a commit costs, in the JVM and on the server
     * (measured with 8 writers at 7–8k commits/s: every millisecond took 8 µs of JVM and 15 µs of
     * server CPU per commit, 0.93 of raw appends; every 5 ms, 0.97). Commits further apart than
     * this are announced at once.
     */
    private static final Duration NOTIFY_INTERVAL = Duration.ofMillis(5);

    /** PostgreSQL truncates identifiers to 63 bytes (NAMEDATALEN - 1); pg_notify refuses longer ones. */
    static final int MAX_CHANNEL_LENGTH = 63;

    private static final String CHANNEL_PREFIX = "evento_";

    /**
     * How long the listener waits for a notification before it looks whether it should stop: the
     * driver cannot be woken from that wait, so this bounds how long stopping takes. The wait is a
     * socket timeout in the driver and costs the server nothing.
     */
    private static final int POLL_MILLIS = 200;

    /** A connection silent for this long is checked with a query; a silently dropped one only fails then. */
    private static final Duration KEEPALIVE = Duration.ofSeconds(30);

    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

    /** How long {@link #close()} waits for each thread; only a hung network call can exceed it. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    /**
     * Connections for the two threads.
     *
     * <p>They are opened in auto-commit mode: a notification is only sent when its transaction
     * commits, and only received by a connection outside any transaction.
     */
    interface Connections {
        /**
         * Opens a connection in auto-commit mode.
         *
         * @return the connection and how to give it back
         * @throws SQLException if none can be had
         */
        Session open() throws SQLException;

        /**
         * Whether a connection should be kept between notifications. A connection opened for the
         * purpose is kept, so notifying costs one round trip; one borrowed from an application's
         * pool is given back after each, so the pool is not short of it for good.
         *
         * @return {@code true} to keep the notifier's connection
         */
        boolean keepNotifierConnection();
    }

    /**
     * An open connection, and whether it was handed out with auto-commit off (it is put back so
     * before it is closed, for the pool that handed it out).
     *
     * @param connection the connection, in auto-commit mode
     * @param autoCommitWasOff whether auto-commit had to be switched on
     */
    record Session(Connection connection, boolean autoCommitWasOff) {
        /** Gives the connection back; a failure means it broke, which its pool deals with. */
        void release() {
            try (connection) {
                if (autoCommitWasOff) {
                    connection.setAutoCommit(false);
                }
            } catch (SQLException e) {
                LOG.debug("Giving back a notification connection failed", e);
            }
        }
    }

    private final String schema;
    private final String channel;
    private final Connections connections;
    private final CommitSignal signal = new CommitSignal();
    private final ReentrantLock lifecycle = new ReentrantLock();

    // Guarded by lifecycle; notifier is also read without it on the write path (volatile).
    private Listener listener;
    private volatile Notifier notifier;
    private boolean closed;

    /**
     * Creates the notifications of one store; no thread starts before it is needed.
     *
     * @param schema the store's schema, for thread names and messages
     * @param connections where the threads' connections come from
     */
    CommitNotifications(String schema, Connections connections) {
        this.schema = schema;
        this.channel = channel(schema);
        this.connections = connections;
    }

    /**
     * The channel of a schema's store: {@code evento_<schema>}, or, if that is longer than
     * PostgreSQL allows, its first characters followed by a checksum of the whole schema name. Two
     * long names that share their first 47 characters thus still get different channels (with the
     * odds of a CRC-32 collision, which would only cause spurious wake-ups). Schema names are
     * validated lower-case identifiers, so the channel needs no escaping beyond double quotes.
     *
     * @param schema the schema
     * @return the channel name, at most {@value #MAX_CHANNEL_LENGTH} characters
     */
    static String channel(String schema) {
        String plain = CHANNEL_PREFIX + schema;
        if (plain.length() <= MAX_CHANNEL_LENGTH) {
            return plain;
        }
        CRC32 crc = new CRC32();
        crc.update(schema.getBytes(StandardCharsets.UTF_8));
        String suffix = "_" + String.format("%08x", crc.getValue());
        return plain.substring(0, MAX_CHANNEL_LENGTH - suffix.length()) + suffix;
    }

    /** The channel this store notifies and listens on. */
    String channel() {
        return channel;
    }

    /**
     * Registers a listener, starting the listener thread if it is the first.
     *
     * @param runnable what to run after commits
     * @return the registration; closing the last one stops the listener thread
     */
    Executor.Registration register(Runnable runnable) {
        lifecycle.lock();
        try {
            if (closed) {
                throw new StoreException("the PostgreSQL executor is closed (schema " + schema + ")", null, false);
            }
            Executor.Registration registration = signal.register(runnable);
            if (listener == null) {
                listener = new Listener();
                listener.thread.start();
            }
            AtomicBoolean open = new AtomicBoolean(true);
            return () -> {
                if (open.compareAndSet(true, false)) {
                    registration.close();
                    stopListenerIfUnused();
                }
            };
        } finally {
            lifecycle.unlock();
        }
    }

    private void stopListenerIfUnused() {
        lifecycle.lock();
        try {
            // Decided under the lock that register() holds while it adds, so a registration made
            // concurrently either keeps this thread or starts a new one.
            if (listener != null && !signal.hasListeners()) {
                listener.stop();
                listener = null;
            }
        } finally {
            lifecycle.unlock();
        }
    }

    /**
     * Announces a commit: asks for a notification to other processes and calls this process's
     * listeners at once, on the calling thread. Call it after the commit succeeded, holding no lock.
     */
    void committed() {
        Notifier n = notifier;
        if (n == null) {
            n = startNotifier();
        }
        if (n != null) {
            n.request();
        }
        signal.fire();
    }

    private Notifier startNotifier() {
        lifecycle.lock();
        try {
            if (closed) {
                return null;
            }
            if (notifier == null) {
                Notifier n = new Notifier();
                n.thread.start();
                notifier = n;
            }
            return notifier;
        } finally {
            lifecycle.unlock();
        }
    }

    /** Stops both threads and waits for them (a bounded time); a notification still requested is sent first. */
    @Override
    public void close() {
        Listener l;
        Notifier n;
        lifecycle.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            l = listener;
            n = notifier;
            listener = null;
            if (l != null) {
                l.stop();
            }
            if (n != null) {
                n.stop();
            }
        } finally {
            lifecycle.unlock();
        }
        if (l != null) {
            join(l.thread);
        }
        if (n != null) {
            join(n.thread);
        }
    }

    private static void join(Thread thread) {
        if (thread == Thread.currentThread()) {
            // Closed from a listener, against the rules: the thread ends once the listener returns.
            return;
        }
        try {
            if (!thread.join(STOP_TIMEOUT)) {
                LOG.warn(
                        "{} did not stop within {}; it is a daemon thread and stops at its next wake-up",
                        thread,
                        STOP_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The running listener thread, for tests. */
    Optional<Thread> listenerThread() {
        lifecycle.lock();
        try {
            return Optional.ofNullable(listener).map(l -> l.thread);
        } finally {
            lifecycle.unlock();
        }
    }

    /** The notifier thread, once started, for tests. */
    Optional<Thread> notifierThread() {
        return Optional.ofNullable(notifier).map(n -> n.thread);
    }

    /** Whether a commit is waiting to be announced to other processes, for tests. */
    boolean announcementPending() {
        Notifier n = notifier;
        return n != null && n.requested.get();
    }

    /** The server process of the listener's connection, or 0 while it has none, for tests. */
    int listenerBackendPid() {
        lifecycle.lock();
        try {
            return listener == null ? 0 : listener.backendPid;
        } finally {
            lifecycle.unlock();
        }
    }

    /**
     * Waits until {@code deadline} (a {@link System#nanoTime()} value) unless {@code stopped} turns
     * true first; the stopping thread unparks the waiter.
     */
    private static void pauseUntil(long deadline, AtomicBoolean stopped) {
        long left;
        while (!stopped.get() && (left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }

    private static Duration nextBackoff(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
    }

    /** Sends the coalesced notifications. */
    private final class Notifier implements Runnable {
        private final AtomicBoolean requested = new AtomicBoolean();
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final Thread thread;
        /** The server process that sent the last notification, so the listener can skip our own. */
        private volatile int backendPid;
        /**
         * Whether the thread is about to park, or parked, until a request: only then must a request
         * wake it. While it sends or pauses it looks at the flag anyway when it is done, and waking
         * it then would only make it park again: a context switch per notification for nothing.
         */
        private volatile boolean idle;
        // Only touched by the notifier thread.
        private Session session;

        Notifier() {
            this.thread = Thread.ofPlatform()
                    .daemon()
                    .name("evento-postgres-notify-" + schema)
                    .unstarted(this);
        }

        void request() {
            // A plain read first: under load the flag is mostly set already, and a read costs less
            // than a write to a shared cache line.
            if (!requested.get() && requested.compareAndSet(false, true) && idle) {
                LockSupport.unpark(thread);
            }
        }

        void stop() {
            stopped.set(true);
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            Duration backoff = FIRST_BACKOFF;
            try {
                while (true) {
                    // Cleared before sending: a commit from now on sets it again and is announced
                    // by the next round.
                    if (!requested.getAndSet(false)) {
                        if (stopped.get()) {
                            return;
                        }
                        // Announce the park, then look at the flag again: a request either set it
                        // before that look or reads `idle` after it was set, and wakes the thread
                        // (both are volatile, so one of the two sees the other's write).
                        idle = true;
                        if (!requested.get() && !stopped.get()) {
                            LockSupport.park(this);
                        }
                        idle = false;
                        continue;
                    }
                    if (send()) {
                        backoff = FIRST_BACKOFF;
                        // Under load, fold the commits of the next moments into one notification:
                        // a NOTIFY per commit costs the writers throughput, a few milliseconds of
                        // latency for other processes cost nothing measurable.
                        pauseUntil(System.nanoTime() + NOTIFY_INTERVAL.toNanos(), stopped);
                        continue;
                    }
                    if (stopped.get()) {
                        return;
                    }
                    // The commit is still unannounced: try again once the server may be back.
                    requested.set(true);
                    pauseUntil(System.nanoTime() + backoff.toNanos(), stopped);
                    backoff = nextBackoff(backoff);
                }
            } finally {
                if (session != null) {
                    session.release();
                    session = null;
                }
            }
        }

        /** Sends one notification; {@code false} if that failed (the connection is then dropped). */
        private boolean send() {
            try {
                if (session == null) {
                    session = connections.open();
                    backendPid = backendPid(session.connection());
                }
                // The notification's own transaction need not wait for its WAL flush: a crash can
                // only lose a wake-up, which polling covers. Waiting for it made every NOTIFY a
                // second synchronous commit beside the writers' (measured: 0.53 of raw appends
                // instead of 0.84 with 8 writers). set_config(.., true) keeps it to this statement's
                // transaction, so a borrowed connection goes back unchanged.
                try (PreparedStatement notify = session.connection()
                        .prepareStatement("SELECT set_config('synchronous_commit', 'off', true), pg_notify(?, '')")) {
                    notify.setString(1, channel);
                    notify.execute();
                }
                if (!connections.keepNotifierConnection()) {
                    session.release();
                    session = null;
                }
                return true;
            } catch (SQLException | RuntimeException e) {
                LOG.warn(
                        "Notifying channel {} failed; other processes poll until it works again: {}",
                        channel,
                        e.toString());
                LOG.debug("Notification failure", e);
                if (session != null) {
                    session.release();
                    session = null;
                }
                return false;
            }
        }
    }

    /** Waits for notifications and calls the listeners. */
    private final class Listener implements Runnable {
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final Thread thread;
        private volatile int backendPid;

        Listener() {
            this.thread = Thread.ofPlatform()
                    .daemon()
                    .name("evento-postgres-listen-" + schema)
                    .unstarted(this);
        }

        void stop() {
            stopped.set(true);
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            Duration backoff = FIRST_BACKOFF;
            while (!stopped.get()) {
                Session session = null;
                try {
                    session = connections.open();
                    Connection connection = session.connection();
                    if (!connection.isWrapperFor(PGConnection.class)) {
                        LOG.warn(
                                "The connections of the store in schema {} are not PostgreSQL driver connections;"
                                        + " subscribers will poll for new events",
                                schema);
                        return;
                    }
                    PGConnection pg = connection.unwrap(PGConnection.class);
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("LISTEN \"" + channel + "\"");
                    }
                    backendPid = pg.getBackendPID();
                    backoff = FIRST_BACKOFF;
                    // Commits made before LISTEN took effect (before the first connection, or while
                    // reconnecting) were announced to nobody here.
                    signal.fire();
                    listen(connection, pg);
                } catch (SQLException | RuntimeException e) {
                    if (!stopped.get()) {
                        LOG.warn(
                                "Listening on channel {} failed; retrying in {} (subscribers poll meanwhile): {}",
                                channel,
                                backoff,
                                e.toString());
                        LOG.debug("Listening failure", e);
                    }
                } finally {
                    backendPid = 0;
                    if (session != null) {
                        unlisten(session.connection());
                        session.release();
                    }
                }
                pauseUntil(System.nanoTime() + backoff.toNanos(), stopped);
                backoff = nextBackoff(backoff);
            }
        }

        private void listen(Connection connection, PGConnection pg) throws SQLException {
            long lastHeard = System.nanoTime();
            while (!stopped.get()) {
                PGNotification[] batch = pg.getNotifications(POLL_MILLIS);
                if (batch != null && batch.length > 0) {
                    lastHeard = System.nanoTime();
                    if (fromAnotherProcess(batch)) {
                        signal.fire();
                    }
                } else if (System.nanoTime() - lastHeard > KEEPALIVE.toNanos()) {
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("SELECT 1");
                    }
                    lastHeard = System.nanoTime();
                }
            }
        }

        private boolean fromAnotherProcess(PGNotification[] batch) {
            Notifier n = notifier;
            int own = n == null ? 0 : n.backendPid;
            for (PGNotification notification : batch) {
                if (notification.getPID() != own) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Stops listening before the connection goes back to a pool that may hand it to someone else,
         * who would otherwise receive this channel's notifications. A broken connection needs nothing.
         */
        private void unlisten(Connection connection) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("UNLISTEN \"" + channel + "\"");
            } catch (SQLException e) {
                LOG.debug("UNLISTEN failed", e);
            }
        }
    }

    private static int backendPid(Connection connection) throws SQLException {
        return connection.isWrapperFor(PGConnection.class)
                ? connection.unwrap(PGConnection.class).getBackendPID()
                : 0;
    }
}
