package io.evento.rocksdb;

import io.evento.spi.Lease;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.rocksdb.RocksDBException;

/**
 * The writer's commands on leases, and the fencing check that every command a lease guards runs.
 *
 * <p>A subscription's lease lives in its subscriber record: the worker holding it, a fencing token
 * and when it expires. Acquiring takes a free or lapsed lease, or renews one the worker holds
 * already; the token grows whenever the lease changes hands, so a former holder is fenced off.
 * Releasing lets the lease lapse at once but keeps the token, so the next holder's is larger. The
 * writer runs one command at a time against the store as the commands before it leave it, so a
 * lease check and the write it guards (a checkpoint, a parked event) are atomic.
 */
final class LeaseCommands {
    private LeaseCommands() {}

    /** Takes or extends a lease. */
    static final class Acquire extends Command<Optional<Lease>> {
        private final String key;
        private final byte[] dbKey;
        private final String workerId;
        private final Duration ttl;

        Acquire(String key, String workerId, Duration ttl) {
            this.key = key;
            this.dbKey = Keys.subscriber(key);
            this.workerId = workerId;
            this.ttl = ttl;
        }

        @Override
        String describe() {
            return "acquiring the lease of subscription " + key;
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            Records.Subscriber s = group.subscriber(key, dbKey);
            if (s == null) {
                s = Records.Subscriber.NEW;
            }
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
            group.putSubscriber(key, dbKey, new Records.Subscriber(workerId, token, expiresAt, s.cursor(), false));
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
    static final class Release extends Command<Void> {
        private final Lease lease;
        private final byte[] dbKey;

        Release(Lease lease) {
            this.lease = lease;
            this.dbKey = Keys.subscriber(lease.key());
        }

        @Override
        String describe() {
            return "releasing the lease of subscription " + lease.key();
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            Records.Subscriber s = group.subscriber(lease.key(), dbKey);
            if (holds(s, lease, group.now())) {
                group.putSubscriber(
                        lease.key(),
                        dbKey,
                        new Records.Subscriber(s.workerId(), s.token(), Instant.EPOCH, s.cursor(), s.paused()));
            }
            succeed(null);
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
