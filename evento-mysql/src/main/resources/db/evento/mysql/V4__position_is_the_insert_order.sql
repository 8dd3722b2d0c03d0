-- Evento event store for MySQL 8.0+ and MariaDB 10.6+, schema version 4: an event's position is
-- its AUTO_INCREMENT value, and readers see the positions below a published horizon.
--
-- Until version 3 a writer inserted an event with an AUTO_INCREMENT seq and position 0, and the
-- sequencer later updated the committed row with its position: every event was written twice, and
-- the second write updated every index holding the position. From version 4 the value the insert
-- takes is the position. Transactions still commit out of that order, so readers do not trust it
-- alone: they see only the positions below evento_sequence.next_position, which the sequencer
-- raises once every position below the new value belongs to a committed event, or is burnt (its
-- transaction rolled back) and sealed by a placeholder row. See MysqlExecutor for why this is
-- skip-free.
--
-- The upgrade keeps every position a reader may hold in a cursor or a checkpoint: events that have
-- a position keep it, events still waiting for one (position 0) get the next ones, in seq order
-- (the order the old sequencer would have used), and the column seq goes. The ALTER rebuilds
-- evento_event: on a large store, expect it to take a while. Stop the processes of older releases
-- first. Their readers know no horizon, so they could skip an event that commits late: the filter
-- indexes get new names here, and the position index goes, so that every page query of an older
-- release fails (its FORCE INDEX names an index that is gone) instead of reading without one.
--
-- Idempotent: every step runs only while the column seq exists (asked of the information schema,
-- which MySQL and MariaDB both have), and the ALTER removes it.
SET @evento_v4_pending = (SELECT COUNT(*) FROM information_schema.columns
    WHERE table_schema = DATABASE() AND table_name = 'evento_event' AND column_name = 'seq');

SET @evento_v4_last = (SELECT COALESCE(MAX(position), 0) FROM evento_event);

SET @evento_v4_sql = IF(@evento_v4_pending = 1,
    'UPDATE evento_event SET position = (@evento_v4_last := @evento_v4_last + 1) WHERE position = 0 ORDER BY seq',
    'DO 0');
PREPARE evento_v4_statement FROM @evento_v4_sql;
EXECUTE evento_v4_statement;
DEALLOCATE PREPARE evento_v4_statement;

-- The filter indexes (aggregator_type, position), (aggregator_type, name, position) and
-- (routing_key, position) keep their columns under new names. The position index goes: the primary
-- key is that index now.
SET @evento_v4_sql = IF(@evento_v4_pending = 1,
    'ALTER TABLE evento_event DROP PRIMARY KEY, DROP INDEX evento_event_position, DROP COLUMN seq, MODIFY position BIGINT NOT NULL AUTO_INCREMENT, ADD PRIMARY KEY (position), RENAME INDEX evento_event_type_position TO evento_event_by_type, RENAME INDEX evento_event_name_position TO evento_event_by_name, RENAME INDEX evento_event_routing_position TO evento_event_by_routing_key',
    'DO 0');
PREPARE evento_v4_statement FROM @evento_v4_sql;
EXECUTE evento_v4_statement;
DEALLOCATE PREPARE evento_v4_statement;

SET @evento_v4_sql = NULL;
SET @evento_v4_last = NULL;
SET @evento_v4_pending = NULL;
