package io.evento.postgres;

import io.evento.LeaseLostException;
import io.evento.internal.Validation;
import io.evento.internal.sql.SubscriberRows;
import io.evento.spi.JdbcSubscriberStore;
import io.evento.spi.Lease;
import io.evento.spi.SubscriberState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Objects;
import java.util.Optional;

/**
 * The subscriber store: leases taken, renewed and released, checkpoints moved, subscriptions reset
 * and paused, one row of {@code evento_subscriber} per subscription key.
 *
 * <p>Leases expire by the database's clock ({@code clock_timestamp()}), which every worker shares
 * whatever machine it runs on. Every statement decides and records in one step, so two workers
 * never both hold a lease: taking or renewing a lease is one upsert, and acknowledging is one
 * conditional update (same worker, same token, not expired), so a worker that lost its lease can
 * never move the checkpoint. A lease taken over by another worker, or revoked by a reset, gets
 * the next token, larger than any before it, so the previous holder's lease matches the row no
 * more.
 */
final class PostgresSubscribers implements JdbcSubscriberStore {
    /** A lease longer than this is shortened to it: about 100 years, so expiry times stay exact. */
    private static final long MAX_TTL_MICROS = 100L * 366 * 24 * 3600 * 1_000_000;

    private final PostgresConnections connections;
    private final String acquireLease;
    private final String releaseLease;
    private final String acknowledge;
    private final String selectSubscriber;
    private final String resetSubscriber;
    private final String pauseSubscriber;

    /** The subscriber store in {@code schema}, a validated plain identifier. */
    PostgresSubscribers(PostgresConnections connections, String schema) {
        this.connections = connections;
        String subscriber = "\"" + schema + "\".evento_subscriber";
        // One statement decides and records: a new key gets token 1; the holder keeps its token;
        // another worker takes an expired or revoked lease with the next token; an unexpired lease
        // of another worker, or a paused key, is left alone and nothing is returned. After a reset
        // worker_id is NULL, and NULL = anything is never true: even the previous holder counts as
        // another worker and gets the next token.
        this.acquireLease =
                "INSERT INTO " + subscriber + " AS s (key, worker_id, token, expires_at, cursor, updated_at)"
                        + " VALUES (?, ?, 1, clock_timestamp() + ? * interval '1 microsecond', NULL, clock_timestamp())"
                        + " ON CONFLICT (key) DO UPDATE SET"
                        + " token = CASE WHEN s.worker_id = EXCLUDED.worker_id THEN s.token ELSE s.token + 1 END,"
                        + " worker_id = EXCLUDED.worker_id, expires_at = EXCLUDED.expires_at, updated_at = EXCLUDED.updated_at"
                        + " WHERE NOT s.paused AND (s.worker_id = EXCLUDED.worker_id OR s.expires_at <= EXCLUDED.updated_at)"
                        + " RETURNING token, expires_at";
        // Releasing expires the lease but keeps owner and token, so the next owner's token is
        // larger than any before it.
        this.releaseLease = "UPDATE " + subscriber + " SET expires_at = 'epoch', updated_at = clock_timestamp()"
                + " WHERE key = ? AND worker_id = ? AND token = ? AND expires_at > clock_timestamp()";
        // The update locks the row until the transaction ends, so in a transaction of
        // inTransaction a concurrent reset waits for it and then overrides its checkpoint.
        this.acknowledge = "UPDATE " + subscriber + " SET cursor = ?, updated_at = clock_timestamp()"
                + " WHERE key = ? AND worker_id = ? AND token = ? AND expires_at > clock_timestamp()";
        this.selectSubscriber =
                "SELECT cursor, worker_id, token, expires_at, paused FROM " + subscriber + " WHERE key = ?";
        // A new key starts with token 0, so whoever takes it first gets token 1, as from
        // acquireLease. The token is kept, and worker_id cleared, so that the next taker's token is
        // larger than that of the revoked lease.
        this.resetSubscriber = "INSERT INTO " + subscriber
                + " AS s (key, worker_id, token, expires_at, cursor, updated_at)"
                + " VALUES (?, NULL, 0, 'epoch', ?, clock_timestamp())"
                + " ON CONFLICT (key) DO UPDATE SET worker_id = NULL, expires_at = 'epoch',"
                + " cursor = EXCLUDED.cursor, updated_at = EXCLUDED.updated_at";
        this.pauseSubscriber = "INSERT INTO " + subscriber
                + " AS s (key, worker_id, token, expires_at, cursor, updated_at, paused)"
                + " VALUES (?, NULL, 0, 'epoch', NULL, clock_timestamp(), ?)"
                + " ON CONFLICT (key) DO UPDATE SET paused = EXCLUDED.paused, updated_at = EXCLUDED.updated_at";
    }

    @Override
    public Optional<Lease> acquireLease(String key, String workerId, Duration ttl) {
        Validation.name("key", key);
        Validation.id("workerId", workerId);
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("lease ttl must be positive, was " + ttl);
        }
        long ttlMicros = ceilMicros(ttl);
        return connections.run("acquiring the lease of subscription " + key, c -> {
            try (PreparedStatement acquire = c.prepareStatement(acquireLease)) {
                acquire.setString(1, key);
                acquire.setString(2, workerId);
                acquire.setLong(3, ttlMicros);
                try (ResultSet rs = acquire.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<Lease>empty();
                    }
                    long token = rs.getLong(1);
                    OffsetDateTime expiresAt = rs.getObject(2, OffsetDateTime.class);
                    return Optional.of(new Lease(key, workerId, token, expiresAt.toInstant()));
                }
            }
        });
    }

    /** A positive duration in microseconds, rounded up, at most {@link #MAX_TTL_MICROS}. */
    static long ceilMicros(Duration d) {
        if (d.compareTo(Duration.ofSeconds(MAX_TTL_MICROS / 1_000_000)) >= 0) {
            return MAX_TTL_MICROS;
        }
        return d.getSeconds() * 1_000_000 + (d.getNano() + 999) / 1_000;
    }

    @Override
    public void releaseLease(Lease lease) {
        Objects.requireNonNull(lease, "lease");
        connections.run("releasing the lease of subscription " + lease.key(), c -> {
            try (PreparedStatement release = c.prepareStatement(releaseLease)) {
                SubscriberRows.bindLease(release, 1, lease);
                release.executeUpdate();
                return null;
            }
        });
    }

    @Override
    public Optional<SubscriberState> subscriber(String key) {
        Validation.name("key", key);
        return connections.run("reading the state of subscription " + key, c -> {
            try (PreparedStatement statement = c.prepareStatement(selectSubscriber)) {
                statement.setString(1, key);
                try (ResultSet rs = statement.executeQuery()) {
                    return SubscriberRows.readState(rs, PostgresColumns.READER, key);
                }
            }
        });
    }

    @Override
    public void acknowledge(Lease lease, String cursor) {
        Validation.cursor(cursor);
        Objects.requireNonNull(lease, "lease");
        connections.run("acknowledging subscription " + lease.key(), c -> {
            acknowledgeOn(c, lease, cursor);
            return null;
        });
    }

    @Override
    public void acknowledge(Connection transaction, Lease lease, String cursor) {
        Objects.requireNonNull(transaction, "transaction");
        Validation.cursor(cursor);
        Objects.requireNonNull(lease, "lease");
        connections.onTransaction("acknowledging subscription " + lease.key(), transaction, c -> {
            acknowledgeOn(c, lease, cursor);
            return null;
        });
    }

    private void acknowledgeOn(Connection c, Lease lease, String cursor) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(acknowledge)) {
            statement.setString(1, cursor);
            SubscriberRows.bindLease(statement, 2, lease);
            if (statement.executeUpdate() == 0) {
                throw new LeaseLostException(lease.key(), lease.workerId());
            }
        }
    }

    @Override
    public void resetSubscriber(String key, Optional<String> cursor) {
        Validation.name("key", key);
        Objects.requireNonNull(cursor, "cursor");
        cursor.ifPresent(Validation::cursor);
        connections.run("resetting subscription " + key, c -> {
            try (PreparedStatement statement = c.prepareStatement(resetSubscriber)) {
                statement.setString(1, key);
                statement.setString(2, cursor.orElse(null));
                statement.executeUpdate();
                return null;
            }
        });
    }

    @Override
    public void pauseSubscriber(String key, boolean paused) {
        Validation.name("key", key);
        connections.run((paused ? "pausing" : "resuming") + " subscription " + key, c -> {
            try (PreparedStatement statement = c.prepareStatement(pauseSubscriber)) {
                statement.setString(1, key);
                statement.setBoolean(2, paused);
                statement.executeUpdate();
                return null;
            }
        });
    }
}
