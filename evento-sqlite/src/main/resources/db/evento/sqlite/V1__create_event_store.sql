-- Evento event store for SQLite, schema version 1.
--
-- Applied by SqliteExecutor when it opens a file. Flyway users may point a location at
-- classpath:db/evento/sqlite instead; the statements are idempotent, so a schema created that way
-- is also accepted by SqliteExecutor's own runner.

-- The global log. position is the rowid: the single writer assigns it in commit order, so paging
-- by position can never skip an event. AUTOINCREMENT keeps positions from being reused even if the
-- newest rows are ever deleted by hand, so a saved cursor never points before new events.
CREATE TABLE IF NOT EXISTS evento_event (
    position        INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL,
    aggregator_type TEXT    NOT NULL,
    aggregator_id   TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    name            TEXT    NOT NULL,
    routing_key     TEXT,
    data            BLOB    NOT NULL,
    metadata        BLOB    NOT NULL,
    timestamp       INTEGER NOT NULL  -- microseconds since the epoch
) STRICT;

-- The optimistic-concurrency check (a second writer of the same version violates it), and the
-- index that loads an aggregate in version order.
CREATE UNIQUE INDEX IF NOT EXISTS evento_event_aggregate_version
    ON evento_event (aggregator_type, aggregator_id, version);

-- Paged reads filtered by aggregate type (every SQLite index ends with the rowid, so both serve
-- "... AND position > ? ORDER BY position" without sorting).
CREATE INDEX IF NOT EXISTS evento_event_type_position ON evento_event (aggregator_type, position);
-- Paged reads filtered by aggregate type and event name.
CREATE INDEX IF NOT EXISTS evento_event_name_position ON evento_event (aggregator_type, name, position);
-- Paged reads filtered by routing key only.
CREATE INDEX IF NOT EXISTS evento_event_routing_position ON evento_event (routing_key, position);

-- Subscription checkpoints and leases.
CREATE TABLE IF NOT EXISTS evento_subscriber (
    key        TEXT    PRIMARY KEY,
    worker_id  TEXT    NOT NULL,
    token      INTEGER NOT NULL, -- fencing token, grows whenever the lease changes hands
    expires_at INTEGER NOT NULL, -- microseconds since the epoch
    cursor     TEXT,             -- cursor of the last acknowledged event
    updated_at INTEGER NOT NULL  -- microseconds since the epoch
) STRICT;

-- Projection snapshots, one per projection and aggregate.
CREATE TABLE IF NOT EXISTS evento_snapshot (
    projection      TEXT    NOT NULL,
    aggregator_type TEXT    NOT NULL,
    aggregator_id   TEXT    NOT NULL,
    revision        TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    data            BLOB    NOT NULL,
    timestamp       INTEGER NOT NULL, -- microseconds since the epoch
    PRIMARY KEY (projection, aggregator_type, aggregator_id)
) STRICT;

-- Facts about the store itself. store_id is generated once, with the schema, and is part of every
-- cursor: a cursor of another store is refused instead of silently reading the wrong page.
CREATE TABLE IF NOT EXISTS evento_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

INSERT OR IGNORE INTO evento_meta (key, value) VALUES ('store_id', lower(hex(randomblob(6))));
