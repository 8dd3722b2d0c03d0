package io.evento.rocksdb;

import io.evento.LeaseLostException;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import org.rocksdb.RocksDBException;

/**
 * The writer's commands on the dead-letter store: parking an event (fenced by the lease, like
 * acknowledging) and unparking it. Where a parked event is kept, and why under a sequence number,
 * is told in the writer's comment ("The dead-letter store").
 */
final class ParkingCommands {
    private ParkingCommands() {}

    /** Sets an event aside for a subscription, if the lease is still held. */
    static final class Park extends Command<Void> {
        private final Lease lease;
        private final ParkedEvent event;
        private final StagedGroup.ParkedKey parkedKey;
        private final byte[] subscriberKey;
        private final byte[] eventKey;
        private final byte[] value;

        /** Encodes the entry in the caller's thread, so the writer only has to check and write it. */
        Park(Lease lease, ParkedEvent event) {
            this.lease = lease;
            this.event = event;
            this.parkedKey = new StagedGroup.ParkedKey(event.key(), event.eventId());
            this.subscriberKey = Keys.subscriber(lease.key());
            this.eventKey = Keys.parkedEvent(event.key(), event.eventId());
            this.value = Records.parked(event);
        }

        @Override
        String describe() {
            return "parking event " + event.eventId() + " of subscription " + lease.key();
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            if (!LeaseCommands.holds(group.subscriber(lease.key(), subscriberKey), lease, group.now())) {
                fail(new LeaseLostException(lease.key(), lease.workerId()));
                return;
            }
            group.putParked(parkedKey, eventKey, value);
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

    /** Removes a parked event. */
    static final class Unpark extends Command<Boolean> {
        private final StagedGroup.ParkedKey parkedKey;
        private final byte[] eventKey;

        Unpark(String key, String eventId) {
            this.parkedKey = new StagedGroup.ParkedKey(key, eventId);
            this.eventKey = Keys.parkedEvent(key, eventId);
        }

        @Override
        String describe() {
            return "unparking event " + parkedKey.eventId() + " of subscription " + parkedKey.key();
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            succeed(group.deleteParked(parkedKey, eventKey));
        }
    }
}
