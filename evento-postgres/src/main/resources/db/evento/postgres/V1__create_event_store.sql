-- Evento event store for PostgreSQL, schema version 1.
--
-- Applied by PostgresExecutor when it opens a store, inside one transaction holding an advisory
-- lock, with search_path set to the store's schema: the names below are deliberately unqualified.
-- Flyway users may add the location classpath:db/evento/postgres instead (with the schema as
-- Flyway's default schema); the statements are idempotent, so a schema created that way is also
-- accepted by PostgresExecutor's own runner, which then only records its history.
--
-- Text columns use the "C" collation: they are only ever compared for equality, and byte-wise
-- comparison makes every index on them cheaper to maintain than a linguistic collation.

-- The global log.
--
-- position orders the events of one transaction (the order they were inserted in, which is
-- version order); it does NOT order transactions, because a transaction that took a smaller
-- position may commit after one that took a larger one. Readers therefore order by
-- (txid, position) and only return rows whose txid is below the transaction horizon,
-- pg_snapshot_xmin(pg_current_snapshot()): every transaction with a smaller txid has ended, so no
-- row can ever appear before one a reader has already passed.
--
-- data and metadata are bytea, not jsonb: they are the exact bytes the codec produced (jsonb would
-- reorder keys and drop duplicates and whitespace, and refuse what is not JSON), and storing them
-- costs no parsing on the write path.
CREATE TABLE IF NOT EXISTS evento_event (
    position         bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid             xid8    NOT NULL DEFAULT pg_current_xact_id(),
    id               text    COLLATE "C" NOT NULL,
    aggregator_type  text    COLLATE "C" NOT NULL,
    aggregator_id    text    COLLATE "C" NOT NULL,
    version          integer NOT NULL,
    name             text    COLLATE "C" NOT NULL,
    routing_key      text    COLLATE "C",
    data             bytea   NOT NULL,
    metadata         bytea   NOT NULL,
    timestamp_micros bigint  NOT NULL  -- commit time, microseconds since the epoch
);

-- The optimistic-concurrency check (a second writer of the same version violates it), and the
-- index that loads an aggregate in version order.
CREATE UNIQUE INDEX IF NOT EXISTS evento_event_aggregate_version
    ON evento_event (aggregator_type, aggregator_id, version);

-- Paged reads of the whole log, in the global order.
CREATE INDEX IF NOT EXISTS evento_event_txid_position ON evento_event (txid, position);
-- Paged reads filtered by aggregate type.
CREATE INDEX IF NOT EXISTS evento_event_type_txid_position ON evento_event (aggregator_type, txid, position);
-- Paged reads filtered by aggregate type and event name.
CREATE INDEX IF NOT EXISTS evento_event_name_txid_position
    ON evento_event (aggregator_type, name, txid, position);
-- Paged reads filtered by routing key only (also serves "no routing key": IS NULL is indexable).
CREATE INDEX IF NOT EXISTS evento_event_routing_txid_position ON evento_event (routing_key, txid, position);

-- Subscription checkpoints and leases. Expiry is judged by the database clock, shared by every
-- worker whatever machine it runs on.
CREATE TABLE IF NOT EXISTS evento_subscriber (
    key        text        COLLATE "C" PRIMARY KEY,
    worker_id  text        COLLATE "C" NOT NULL,
    token      bigint      NOT NULL,  -- fencing token, grows whenever the lease changes hands
    expires_at timestamptz NOT NULL,
    cursor     text        COLLATE "C",  -- cursor of the last acknowledged event
    updated_at timestamptz NOT NULL
);

-- Projection snapshots, one per projection and aggregate.
CREATE TABLE IF NOT EXISTS evento_snapshot (
    projection       text    COLLATE "C" NOT NULL,
    aggregator_type  text    COLLATE "C" NOT NULL,
    aggregator_id    text    COLLATE "C" NOT NULL,
    revision         text    COLLATE "C" NOT NULL,
    version          integer NOT NULL,
    data             bytea   NOT NULL,
    timestamp_micros bigint  NOT NULL,  -- microseconds since the epoch
    PRIMARY KEY (projection, aggregator_type, aggregator_id)
);

-- Facts about the store itself. store_id is generated once, with the schema, and is part of every
-- cursor: a cursor of another store is refused instead of silently reading the wrong page.
CREATE TABLE IF NOT EXISTS evento_meta (
    key   text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);

INSERT INTO evento_meta (key, value)
    VALUES ('store_id', substr(md5(gen_random_uuid()::text), 1, 12))
    ON CONFLICT (key) DO NOTHING;
