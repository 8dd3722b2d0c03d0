package io.evento.rocksdb;

import io.evento.LeaseLostException;
import io.evento.spi.Lease;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.rocksdb.RocksDBException;

/**
 * The writer's commands on leases, and the fencing that every command a lease guards goes through.
 *
 * <p>A subscription's lease lives in its subscriber record: the worker holding it, a fencing token
 * and when it expires. Acquiring takes a free or lapsed lease, or renews one the worker holds
 * already; the token grows whenever the lease changes hands, so a former holder is fenced off.
 * Releasing lets the lease lapse at once but keeps the token, so the next holder's is larger. The
 * writer runs one command at a time against the store as the commands before it leave it, so a
 * lease check and the write it guards (a checkpoint, a parked event: see {@link Fenced}) are
 * atomic.
 */
final class LeaseCommands {
    private LeaseCommands() {}

    /** Takes or extends a lease. */
    static final class Acquire extends SubscriberCommands.OnSubscriber<Optional<Lease>> {
        private final String workerId;
        private final Duration ttl;

        Acquire(String key, String workerId, Duration ttl) {
            super(key, "acquiring the lease of");
            this.workerId = workerId;
            this.ttl = ttl;
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            Records.Subscriber s = recordOrNew(group);
            Instant now = group.now();
            boolean mine = workerId.equals(s.workerId());
            // A paused key refuses its own holder too: that is how a pause stops a running worker.
            if (s.paused() || (!mine && s.workerId() != null && s.expiresAt().isAfter(now))) {
                succeed(Optional.empty());
                return;
            }
            // The token grows whenever the lease changes hands (or was revoked: then nobody holds
            // it, not even its former worker), so a former owner is fenced off.
            long token = mine ? s.token() : s.token() + 1;
            Instant expiresAt = plus(now, ttl);
            put(group, new Records.Subscriber(workerId, token, expiresAt, s.cursor(), false));
            succeed(Optional.of(new Lease(key, workerId, token, expiresAt)));
        }

        private static Instant plus(Instant now, Duration ttl) {
            try {
                return now.plus(ttl);
            } catch (DateTimeException | ArithmeticException e) {
                return Instant.MAX;
            }
        }
    }

    /** Gives a lease up, keeping its token so the next owner's is larger. */
    static final class Release extends SubscriberCommands.OnSubscriber<Void> {
        private final Lease lease;

        Release(Lease lease) {
            super(lease.key(), "releasing the lease of");
            this.lease = lease;
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            Records.Subscriber s = record(group);
            if (holds(s, lease, group.now())) {
                put(group, new Records.Subscriber(s.workerId(), s.token(), Instant.EPOCH, s.cursor(), s.paused()));
            }
            succeed(null);
        }
    }

    /**
     * A command that only the current holder of a lease may run: it checks the lease ({@link
     * #holder}) in the same step as it stages its write, and otherwise fails with a {@link
     * LeaseLostException}.
     */
    abstract static class Fenced<T> extends SubscriberCommands.OnSubscriber<T> {
        final Lease lease;

        Fenced(Lease lease, String doing) {
            super(lease.key(), doing);
            this.lease = lease;
        }

        /**
         * The subscriber's record if {@link #lease} is still held; otherwise fails the command with
         * a {@link LeaseLostException} and returns {@code null}: the command then stages nothing.
         */
        final Records.Subscriber holder(StagedGroup group) throws RocksDBException {
            Records.Subscriber s = record(group);
            if (!holds(s, lease, group.now())) {
                fail(new LeaseLostException(lease.key(), lease.workerId()));
                return null;
            }
            return s;
        }

        @Override
        RuntimeException inCaller(RuntimeException e) {
            if (e instanceof LeaseLostException) {
                return new LeaseLostException(lease.key(), lease.workerId());
            }
            return super.inCaller(e);
        }
    }

    /** Whether a lease is the current, unexpired one (fencing): same worker, same token, not expired. */
    static boolean holds(Records.Subscriber s, Lease lease, Instant now) {
        return s != null
                && lease.workerId().equals(s.workerId())
                && s.token() == lease.token()
                && s.expiresAt().isAfter(now);
    }
}
