-- Evento event store for PostgreSQL, schema version 2: operating subscriptions (reset, pause) and
-- the dead-letter store.
--
-- Applied like V1 (one transaction, advisory lock, search_path set to the store's schema, names
-- unqualified), and idempotent like it, so a schema migrated by Flyway is accepted as it is.

-- A reset revokes the lease: nobody holds it until the next worker takes it, with the next token.
-- "Nobody" is a NULL worker_id rather than a sentinel string: every lease condition compares
-- worker_id with "=", which is never true for NULL, so a revoked lease matches no worker, not even
-- the one that held it, without any special case in the statements.
ALTER TABLE evento_subscriber ALTER COLUMN worker_id DROP NOT NULL;

-- A paused subscription cannot be leased or renewed, so its worker stops at its next renewal.
-- Existing subscriptions keep running; with a constant default, adding the column rewrites nothing.
ALTER TABLE evento_subscriber ADD COLUMN IF NOT EXISTS paused boolean NOT NULL DEFAULT false;

-- Events a subscription gave up on, one row per subscription key and event. A row refers to the
-- event (type, id, version find it again) rather than copying it: events are immutable.
--
-- seq orders the rows oldest first. It is taken when a row is first inserted, and parking the same
-- event again updates the row in place (ON CONFLICT DO UPDATE leaves seq alone), so a retried event
-- keeps its place in the list; parked_at, which the caller sets, would not.
CREATE TABLE IF NOT EXISTS evento_parked (
    key             text        COLLATE "C" NOT NULL,
    event_id        text        COLLATE "C" NOT NULL,
    seq             bigint      GENERATED ALWAYS AS IDENTITY,
    aggregator_type text        COLLATE "C" NOT NULL,
    aggregator_id   text        COLLATE "C" NOT NULL,
    version         integer     NOT NULL,
    error           text        NOT NULL,  -- the last failure, up to 4,000 characters
    attempts        integer     NOT NULL,
    parked_at       timestamptz NOT NULL,  -- readable when operators query the table by hand
    PRIMARY KEY (key, event_id)
);

-- Lists a subscription's parked events oldest first, a page at a time, without sorting them.
CREATE INDEX IF NOT EXISTS evento_parked_key_seq ON evento_parked (key, seq);
