package io.evento.postgres;

import io.evento.LeaseLostException;
import io.evento.Limits;
import io.evento.internal.Validation;
import io.evento.internal.sql.ParkedRows;
import io.evento.internal.sql.SubscriberRows;
import io.evento.spi.JdbcDeadLetterStore;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;

/**
 * The dead-letter store: events a subscription set aside ({@code evento_parked}), listed and taken
 * back.
 *
 * <p>Parking is fenced by the subscription's lease as acknowledging is, in one statement: the
 * entry is written only if the worker still holds the lease, so a worker that lost it cannot park
 * behind the back of the one that took over. Parking the same event again replaces its entry (a
 * later attempt, a later error). Entries are listed in the order they were first parked.
 */
final class PostgresDeadLetters implements JdbcDeadLetterStore {
    private final PostgresConnections connections;
    private final String park;
    private final String selectParked;
    private final String unpark;

    /** The dead-letter store in {@code schema}, a validated plain identifier. */
    PostgresDeadLetters(PostgresConnections connections, String schema) {
        this.connections = connections;
        String subscriber = "\"" + schema + "\".evento_subscriber";
        String parked = "\"" + schema + "\".evento_parked";
        // Fenced like acknowledge, in one statement: the entry is written only if the lease row
        // matches. FOR SHARE makes a concurrent reset or takeover wait for this transaction (and
        // re-checks the row if one committed meanwhile), as acknowledge's row lock does.
        this.park = "WITH holder AS (SELECT 1 FROM " + subscriber
                + " WHERE key = ? AND worker_id = ? AND token = ? AND expires_at > clock_timestamp() FOR SHARE)"
                + " INSERT INTO " + parked
                + " AS p (key, event_id, aggregator_type, aggregator_id, version, error, attempts, parked_at)"
                + " SELECT ?, ?, ?, ?, ?, ?, ?, ? FROM holder"
                + " ON CONFLICT (key, event_id) DO UPDATE SET aggregator_type = EXCLUDED.aggregator_type,"
                + " aggregator_id = EXCLUDED.aggregator_id, version = EXCLUDED.version, error = EXCLUDED.error,"
                + " attempts = EXCLUDED.attempts, parked_at = EXCLUDED.parked_at";
        this.selectParked = "SELECT event_id, aggregator_type, aggregator_id, version, error, attempts, parked_at"
                + " FROM " + parked + " WHERE key = ? ORDER BY seq LIMIT ?";
        this.unpark = "DELETE FROM " + parked + " WHERE key = ? AND event_id = ?";
    }

    @Override
    public void park(Lease lease, ParkedEvent event) {
        Validation.parkedUnder(lease, event);
        connections.run("parking event " + event.eventId() + " of subscription " + event.key(), c -> {
            parkOn(c, lease, event);
            return null;
        });
    }

    @Override
    public void park(Connection transaction, Lease lease, ParkedEvent event) {
        Objects.requireNonNull(transaction, "transaction");
        Validation.parkedUnder(lease, event);
        connections.onTransaction(
                "parking event " + event.eventId() + " of subscription " + event.key(), transaction, c -> {
                    parkOn(c, lease, event);
                    return null;
                });
    }

    private void parkOn(Connection c, Lease lease, ParkedEvent event) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(park)) {
            int parkedAt = ParkedRows.bindEntry(statement, SubscriberRows.bindLease(statement, 1, lease), event);
            statement.setObject(parkedAt, OffsetDateTime.ofInstant(event.parkedAt(), ZoneOffset.UTC));
            if (statement.executeUpdate() == 0) {
                throw new LeaseLostException(lease.key(), lease.workerId());
            }
        }
    }

    @Override
    public List<ParkedEvent> parked(String key, int limit) {
        Validation.name("key", key);
        Validation.limit("limit", limit, Limits.PAGE_MAX_SIZE);
        return connections.run("listing the parked events of subscription " + key, c -> {
            try (PreparedStatement statement = c.prepareStatement(selectParked)) {
                ParkedRows.bindList(statement, key, limit);
                try (ResultSet rs = statement.executeQuery()) {
                    return ParkedRows.readList(rs, PostgresColumns.READER, key, limit);
                }
            }
        });
    }

    @Override
    public boolean unpark(String key, String eventId) {
        Validation.name("key", key);
        Validation.id("eventId", eventId);
        return connections.run(
                "unparking event " + eventId + " of subscription " + key, c -> unparkOn(c, key, eventId));
    }

    @Override
    public boolean unpark(Connection transaction, String key, String eventId) {
        Objects.requireNonNull(transaction, "transaction");
        Validation.name("key", key);
        Validation.id("eventId", eventId);
        return connections.onTransaction(
                "unparking event " + eventId + " of subscription " + key, transaction, c -> unparkOn(c, key, eventId));
    }

    private boolean unparkOn(Connection c, String key, String eventId) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(unpark)) {
            ParkedRows.bindId(statement, key, eventId);
            return statement.executeUpdate() > 0;
        }
    }
}
