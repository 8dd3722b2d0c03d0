-- Evento event store for MySQL 8.0+ and MariaDB 10.6+, schema version 3: an event waiting for its
-- position has position 0 instead of NULL.
--
-- Positions start at 1, so 0 is free to mean "not positioned yet", and readers already ask for
-- positions above 0 or above a cursor. The point is the sequencer's update: a NULL column takes no
-- space in InnoDB's row formats, so giving it a value grows the row, which InnoDB cannot do in
-- place; from 0 to a position the row keeps its size. Measured on MariaDB 10.11 (idle server,
-- 100k events, 500-row updates): 23-24 us of server time per positioned event with NULL, 14-17
-- with 0 (BENCHMARKS.md).
--
-- The ALTER rebuilds evento_event: on a large store, expect it to take a while (it holds a
-- metadata lock, and writers wait for it). Writers of an older version still running meanwhile
-- may insert a NULL between the two statements; the ALTER then fails in strict mode, nothing is
-- recorded, and the next open runs this script again.
--
-- Idempotent: the UPDATE finds nothing the second time, and the ALTER runs only while the column
-- is still nullable (asked of the information schema, which MySQL and MariaDB both have).
UPDATE evento_event SET position = 0 WHERE position IS NULL;

SET @evento_v3_position = IF(
    (SELECT COUNT(*) FROM information_schema.columns
        WHERE table_schema = DATABASE() AND table_name = 'evento_event' AND column_name = 'position'
            AND is_nullable = 'YES') = 1,
    'ALTER TABLE evento_event MODIFY position BIGINT NOT NULL DEFAULT 0',
    'DO 0');
PREPARE evento_v3_statement FROM @evento_v3_position;
EXECUTE evento_v3_statement;
DEALLOCATE PREPARE evento_v3_statement;
SET @evento_v3_position = NULL;
