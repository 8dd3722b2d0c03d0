-- Evento event store for SQLite, schema version 2: pausing subscriptions, revoking their leases,
-- and the dead-letter store.
--
-- Like V1, every statement may run again over a schema that already has them (a file migrated by
-- Flyway, then opened by SqliteExecutor, whose runner records its own history and replays V1 and
-- V2): see the notes on the rebuild below.

-- evento_subscriber gains the paused flag. SQLite's ALTER TABLE ... ADD COLUMN has no IF NOT
-- EXISTS and fails when replayed, so the table is rebuilt instead, the way SQLite documents for
-- schema changes ALTER TABLE cannot make: new table, copy, drop, rename.
--
-- worker_id stays NOT NULL: "no worker" (after a reset revoked the lease, or a row created by a
-- pause or a reset) is the empty string, which is never a worker id. Executors of the previous
-- release still running on the same file then read such a row as a lapsed lease of some other
-- worker, which is what it is for them, instead of failing on a NULL.
--
-- Replayed over a table that already has the flag, the copy leaves it at 0. No flag can be lost:
-- only executors of this release set it, and each one runs this migration before anything else.
CREATE TABLE IF NOT EXISTS evento_subscriber_v2 (
    key        TEXT    PRIMARY KEY,
    worker_id  TEXT    NOT NULL, -- '' when nobody holds the lease since a reset, or nobody ever did
    token      INTEGER NOT NULL, -- fencing token, grows whenever the lease changes hands
    expires_at INTEGER NOT NULL, -- microseconds since the epoch; 0 once released or revoked
    cursor     TEXT,             -- cursor of the last acknowledged event
    updated_at INTEGER NOT NULL, -- microseconds since the epoch
    -- 1 while paused: nobody may take or renew the lease. The default lets writers that do not
    -- know the column (the previous release) still insert rows.
    paused     INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1))
) STRICT;

INSERT OR IGNORE INTO evento_subscriber_v2 (key, worker_id, token, expires_at, cursor, updated_at)
    SELECT key, worker_id, token, expires_at, cursor, updated_at FROM evento_subscriber;

DROP TABLE evento_subscriber;

ALTER TABLE evento_subscriber_v2 RENAME TO evento_subscriber;

-- The dead-letter store: events a subscription gave up on, by reference to the event (events are
-- never deleted, so (aggregator_type, aggregator_id, version) finds them again).
--
-- seq is the rowid and orders the entries oldest first. Parking an event again updates its row in
-- place (INSERT ... ON CONFLICT DO UPDATE, never INSERT OR REPLACE, which deletes and re-inserts
-- with a new rowid), so the entry keeps its place. No AUTOINCREMENT: a new rowid is always larger
-- than every rowid present, which is all "oldest first" needs.
CREATE TABLE IF NOT EXISTS evento_parked (
    seq             INTEGER PRIMARY KEY,
    key             TEXT    NOT NULL, -- the subscription key
    event_id        TEXT    NOT NULL,
    aggregator_type TEXT    NOT NULL,
    aggregator_id   TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    error           TEXT    NOT NULL, -- what the last attempt failed with
    attempts        INTEGER NOT NULL,
    parked_at       INTEGER NOT NULL  -- microseconds since the epoch
) STRICT;

-- An event is parked at most once per subscription: the conflict target of a re-park, and the
-- lookup of unpark.
CREATE UNIQUE INDEX IF NOT EXISTS evento_parked_key_event ON evento_parked (key, event_id);
-- The listing of one subscription, oldest first, without sorting.
CREATE INDEX IF NOT EXISTS evento_parked_key_seq ON evento_parked (key, seq);
