package io.evento.rocksdb;

import io.evento.LeaseLostException;
import io.evento.spi.Lease;
import java.time.Instant;
import java.util.Optional;
import org.rocksdb.RocksDBException;

/**
 * The writer's commands on a subscriber's checkpoint and paused flag: acknowledging (fenced by the
 * lease, see {@link LeaseCommands}), resetting and pausing (whoever holds the lease).
 */
final class SubscriberCommands {
    private SubscriberCommands() {}

    /** Moves a checkpoint, if the lease is still held. */
    static final class Acknowledge extends Command<Void> {
        private final Lease lease;
        private final byte[] dbKey;
        private final String cursor;

        Acknowledge(Lease lease, String cursor) {
            this.lease = lease;
            this.dbKey = Keys.subscriber(lease.key());
            this.cursor = cursor;
        }

        @Override
        String describe() {
            return "acknowledging subscription " + lease.key();
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            Records.Subscriber s = group.subscriber(lease.key(), dbKey);
            if (!LeaseCommands.holds(s, lease, group.now())) {
                fail(new LeaseLostException(lease.key(), lease.workerId()));
                return;
            }
            group.putSubscriber(
                    lease.key(),
                    dbKey,
                    new Records.Subscriber(s.workerId(), s.token(), s.expiresAt(), cursor, s.paused()));
            succeed(null);
        }

        @Override
        RuntimeException inCaller(RuntimeException e) {
            if (e instanceof LeaseLostException) {
                return new LeaseLostException(lease.key(), lease.workerId());
            }
            return super.inCaller(e);
        }
    }

    /** Moves a checkpoint whoever holds the lease, and revokes the lease. */
    static final class Reset extends Command<Void> {
        private final String key;
        private final byte[] dbKey;
        private final String cursor;

        Reset(String key, Optional<String> cursor) {
            this.key = key;
            this.dbKey = Keys.subscriber(key);
            this.cursor = cursor.orElse(null);
        }

        @Override
        String describe() {
            return "resetting subscription " + key;
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            Records.Subscriber s = group.subscriber(key, dbKey);
            if (s == null) {
                s = Records.Subscriber.NEW;
            }
            // No worker and a lapsed lease, same token: whoever takes it next, its former holder
            // included, gets token + 1, which fences off the lease it held.
            group.putSubscriber(key, dbKey, new Records.Subscriber(null, s.token(), Instant.EPOCH, cursor, s.paused()));
            succeed(null);
        }
    }

    /** Pauses or resumes a subscription. */
    static final class Pause extends Command<Void> {
        private final String key;
        private final byte[] dbKey;
        private final boolean paused;

        Pause(String key, boolean paused) {
            this.key = key;
            this.dbKey = Keys.subscriber(key);
            this.paused = paused;
        }

        @Override
        String describe() {
            return (paused ? "pausing" : "resuming") + " subscription " + key;
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            Records.Subscriber s = group.subscriber(key, dbKey);
            if (s == null) {
                s = Records.Subscriber.NEW;
            }
            group.putSubscriber(
                    key, dbKey, new Records.Subscriber(s.workerId(), s.token(), s.expiresAt(), s.cursor(), paused));
            succeed(null);
        }
    }
}
