-- Evento event store for MySQL 8.0+ and MariaDB 10.6+, schema version 1.
--
-- Applied by MysqlExecutor when it opens a database. Flyway users may point a location at
-- classpath:db/evento/mysql instead; the statements are idempotent, so a schema created that way
-- is also accepted by MysqlExecutor's own runner.
--
-- Ids, names and keys are VARBINARY holding UTF-8 text: comparisons are byte for byte, so exact and
-- case-sensitive. (utf8mb4_bin would not do: it is a PAD SPACE collation, for which 'a' and 'a '
-- are the same key.)

-- The global log.
--   seq       insert order, assigned by AUTO_INCREMENT when a writer inserts the row. Transactions
--             commit out of seq order, so seq is never shown to readers.
--   position  the global order readers page by. NULL until the sequencer assigns it to the
--             committed row; then it never changes. See MysqlExecutor for why this is skip-free.
--   commit_end the version of the last event of the commit the row belongs to, so that the
--             sequencer never positions part of a commit.
CREATE TABLE IF NOT EXISTS evento_event (
    seq             BIGINT         NOT NULL AUTO_INCREMENT,
    position        BIGINT         NULL,
    id              VARBINARY(400) NOT NULL,
    aggregator_type VARBINARY(400) NOT NULL,
    aggregator_id   VARBINARY(400) NOT NULL,
    version         INT            NOT NULL,
    commit_end      INT            NOT NULL,
    name            VARBINARY(400) NOT NULL,
    routing_key     VARBINARY(400) NULL,
    data            LONGBLOB       NOT NULL,
    metadata        LONGBLOB       NOT NULL,
    timestamp       BIGINT         NOT NULL, -- microseconds since the epoch
    PRIMARY KEY (seq),
    -- The optimistic-concurrency check, and the index that loads an aggregate in version order.
    UNIQUE KEY evento_event_aggregate_version (aggregator_type, aggregator_id, version),
    -- Paged reads of the whole log; its NULL entries, in seq order, are the sequencer's work list.
    -- Not UNIQUE: positions are unique by construction (each pass claims its range from the counter),
    -- and only a non-unique index lets the optimizer return NULL entries in seq order without a sort.
    KEY evento_event_position (position),
    -- Paged reads filtered by aggregate type, by type and event name, by routing key.
    KEY evento_event_type_position (aggregator_type, position),
    KEY evento_event_name_position (aggregator_type, name, position),
    KEY evento_event_routing_position (routing_key, position)
) ENGINE = InnoDB;

-- The sequencer's counter: the next position to assign. A pass claims positions by a
-- compare-and-set of this row in the same statement that assigns them.
CREATE TABLE IF NOT EXISTS evento_sequence (
    name          VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    next_position BIGINT      NOT NULL,
    PRIMARY KEY (name)
) ENGINE = InnoDB;

INSERT INTO evento_sequence (name, next_position) VALUES ('global', 1)
    ON DUPLICATE KEY UPDATE name = name;

-- Subscription checkpoints and leases. Times are UTC, by the database clock.
CREATE TABLE IF NOT EXISTS evento_subscriber (
    subscription_key VARBINARY(400) NOT NULL,
    worker_id        VARBINARY(400) NOT NULL, -- empty until a worker first takes the lease
    token            BIGINT         NOT NULL, -- fencing token, grows whenever the lease changes hands
    expires_at       DATETIME(6)    NOT NULL,
    checkpoint       VARBINARY(16384) NULL,     -- cursor of the last acknowledged event, stored verbatim
    updates          BIGINT         NOT NULL, -- grows with every change, so that every fenced update changes the row
    updated_at       DATETIME(6)    NOT NULL,
    PRIMARY KEY (subscription_key)
) ENGINE = InnoDB;

-- Projection snapshots, one per projection and aggregate.
CREATE TABLE IF NOT EXISTS evento_snapshot (
    projection      VARBINARY(400) NOT NULL,
    aggregator_type VARBINARY(400) NOT NULL,
    aggregator_id   VARBINARY(400) NOT NULL,
    revision        VARBINARY(400) NOT NULL,
    version         INT            NOT NULL,
    data            LONGBLOB       NOT NULL,
    timestamp       BIGINT         NOT NULL, -- microseconds since the epoch
    PRIMARY KEY (projection, aggregator_type, aggregator_id)
) ENGINE = InnoDB;

-- Facts about the store itself. store_id is generated once, with the schema, and is part of every
-- cursor: a cursor of another store is refused instead of silently reading the wrong page.
CREATE TABLE IF NOT EXISTS evento_meta (
    meta_key   VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    meta_value VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    PRIMARY KEY (meta_key)
) ENGINE = InnoDB;

INSERT INTO evento_meta (meta_key, meta_value)
    VALUES ('store_id', LOWER(LEFT(SHA2(CONCAT(UUID(), RAND(), CONNECTION_ID()), 256), 12)))
    ON DUPLICATE KEY UPDATE meta_key = meta_key;
