-- Evento event store for MySQL 8.0+ and MariaDB 10.6+, schema version 2: pausing subscriptions and
-- the dead-letter store.
--
-- Idempotent like V1, so that running it twice (Flyway users, or a start that died half-way through
-- it) changes nothing.

-- Subscriptions can be paused: while paused, nobody can take or renew the lease. A column, not a row
-- elsewhere, because the lease is taken with a locking read of this row: the flag is judged under
-- the same lock as the lease, so a pause and a renewal cannot cross.
--
-- MySQL has no ADD COLUMN IF NOT EXISTS (only MariaDB does), so the ALTER is prepared only when the
-- column is missing; the information schema is the one way both servers agree on to ask.
--
-- The V1 sentinel "worker_id = ''" (nobody took the lease yet) now also means "a reset revoked the
-- lease": worker ids are never empty, so whoever takes it next, even the former holder, is a new
-- holder and gets a larger token.
SET @evento_v2_paused = IF(
    (SELECT COUNT(*) FROM information_schema.columns
        WHERE table_schema = DATABASE() AND table_name = 'evento_subscriber' AND column_name = 'paused') = 0,
    'ALTER TABLE evento_subscriber ADD COLUMN paused BOOLEAN NOT NULL DEFAULT FALSE',
    'DO 0');
PREPARE evento_v2_statement FROM @evento_v2_paused;
EXECUTE evento_v2_statement;
DEALLOCATE PREPARE evento_v2_statement;
SET @evento_v2_paused = NULL;

-- Events a subscription gave up on (the dead-letter store). An entry refers to its event by
-- aggregate and version instead of copying it: events are never changed or deleted.
--   seq        the order entries were first parked in, so that listing them oldest first survives
--              parking the same event again (an upsert keeps the row, and with it its seq).
--   error      the last failure, as text that people read: utf8mb4, so that any character a
--              message may hold (emoji included) is kept exactly. At most 4000 characters, which
--              TEXT holds in any encoding.
--   parked_at  UTC, microseconds.
CREATE TABLE IF NOT EXISTS evento_parked (
    seq              BIGINT         NOT NULL AUTO_INCREMENT,
    subscription_key VARBINARY(400) NOT NULL,
    event_id         VARBINARY(400) NOT NULL,
    aggregator_type  VARBINARY(400) NOT NULL,
    aggregator_id    VARBINARY(400) NOT NULL,
    version          INT            NOT NULL,
    error            TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    attempts         INT            NOT NULL,
    parked_at        DATETIME(6)    NOT NULL,
    PRIMARY KEY (seq),
    -- One entry per event and subscription: parking it again replaces the entry.
    UNIQUE KEY evento_parked_key_event (subscription_key, event_id),
    -- Listing a subscription's entries oldest first, without a sort.
    KEY evento_parked_key_seq (subscription_key, seq)
) ENGINE = InnoDB;
