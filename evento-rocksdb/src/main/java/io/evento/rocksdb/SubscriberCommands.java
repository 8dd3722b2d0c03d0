package io.evento.rocksdb;

import io.evento.spi.Lease;
import java.time.Instant;
import java.util.Optional;
import org.rocksdb.RocksDBException;

/**
 * The writer's commands on a subscriber's checkpoint and paused flag: acknowledging (fenced by the
 * lease, see {@link LeaseCommands}), resetting and pausing (whoever holds the lease); and the base
 * of every command on a subscriber's record, these and the lease's.
 */
final class SubscriberCommands {
    private SubscriberCommands() {}

    /**
     * A command on one subscriber's record (lease, checkpoint, paused flag): it reads the record as
     * the commands before it in the group leave it, and stages the new one.
     */
    abstract static class OnSubscriber<T> extends Command<T> {
        final String key;
        private final byte[] dbKey;
        private final String doing;

        /** A command on {@code key}'s record; {@code doing} is what it does to it, for error messages. */
        OnSubscriber(String key, String doing) {
            this.key = key;
            this.dbKey = Keys.subscriber(key);
            this.doing = doing;
        }

        @Override
        String describe() {
            return doing + " subscription " + key;
        }

        /** The subscriber's record, or {@code null} if the key has none. */
        final Records.Subscriber record(StagedGroup group) throws RocksDBException {
            return group.subscriber(key, dbKey);
        }

        /** The subscriber's record, or {@link Records.Subscriber#NEW} if the key has none. */
        final Records.Subscriber recordOrNew(StagedGroup group) throws RocksDBException {
            Records.Subscriber s = record(group);
            return s == null ? Records.Subscriber.NEW : s;
        }

        /** Stages the subscriber's new record. */
        final void put(StagedGroup group, Records.Subscriber subscriber) throws RocksDBException {
            group.putSubscriber(key, dbKey, subscriber);
        }
    }

    /** Moves a checkpoint, if the lease is still held. */
    static final class Acknowledge extends LeaseCommands.Fenced<Void> {
        private final String cursor;

        Acknowledge(Lease lease, String cursor) {
            super(lease, "acknowledging");
            this.cursor = cursor;
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            Records.Subscriber s = holder(group);
            if (s == null) {
                return;
            }
            put(group, new Records.Subscriber(s.workerId(), s.token(), s.expiresAt(), cursor, s.paused()));
            succeed(null);
        }
    }

    /** Moves a checkpoint whoever holds the lease, and revokes the lease. */
    static final class Reset extends OnSubscriber<Void> {
        private final String cursor;

        Reset(String key, Optional<String> cursor) {
            super(key, "resetting");
            this.cursor = cursor.orElse(null);
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            Records.Subscriber s = recordOrNew(group);
            // No worker and a lapsed lease, same token: whoever takes it next, its former holder
            // included, gets token + 1, which fences off the lease it held.
            put(group, new Records.Subscriber(null, s.token(), Instant.EPOCH, cursor, s.paused()));
            succeed(null);
        }
    }

    /** Pauses or resumes a subscription. */
    static final class Pause extends OnSubscriber<Void> {
        private final boolean paused;

        Pause(String key, boolean paused) {
            super(key, paused ? "pausing" : "resuming");
            this.paused = paused;
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            Records.Subscriber s = recordOrNew(group);
            put(group, new Records.Subscriber(s.workerId(), s.token(), s.expiresAt(), s.cursor(), paused));
            succeed(null);
        }
    }
}
