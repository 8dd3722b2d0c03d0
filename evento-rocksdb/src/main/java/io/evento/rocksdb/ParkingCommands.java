package io.evento.rocksdb;

import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import org.rocksdb.RocksDBException;

/**
 * The writer's commands on the dead-letter store: parking an event (fenced by the lease, like
 * acknowledging) and unparking it. Where a parked event is kept, and why under a sequence number,
 * is told in {@link GroupCommit}'s comment ("The dead-letter store").
 */
final class ParkingCommands {
    private ParkingCommands() {}

    /** Sets an event aside for a subscription, if the lease is still held. */
    static final class Park extends LeaseCommands.Fenced<Void> {
        private final ParkedEvent event;
        private final StagedGroup.ParkedKey parkedKey;
        private final byte[] eventKey;
        private final byte[] value;

        /** Encodes the entry in the caller's thread, so the writer only has to check and write it. */
        Park(Lease lease, ParkedEvent event) {
            super(lease, "parking an event of");
            this.event = event;
            this.parkedKey = new StagedGroup.ParkedKey(event.key(), event.eventId());
            this.eventKey = Keys.parkedEvent(event.key(), event.eventId());
            this.value = Records.parked(event);
        }

        @Override
        String describe() {
            return "parking event " + event.eventId() + " of subscription " + key;
        }

        @Override
        void stage(StagedGroup group) throws RocksDBException {
            if (holder(group) == null) {
                return;
            }
            group.putParked(parkedKey, eventKey, value);
            succeed(null);
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
