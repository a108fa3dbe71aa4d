-- Counted once (docs/events.md): each table remembers the tokens (or hashes) of its last
-- 10,000 inserted blocks and drops a block inserted again. Ingestion gives every INSERT a
-- token: a fresh one normally, the same one when a Kafka block is re-delivered after a crash
-- (ingest/kafka-consumer.ts), so the replay is dropped. The rollups fed by these tables keep
-- their own windows (views/039_deduplicate_rollups.sql): with
-- deduplicate_blocks_in_dependent_materialized_views each table decides for itself, so a
-- replay also completes a rollup whose part was not yet written when the process died.
ALTER TABLE trades MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE orders MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE web_events MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE dead_letters MODIFY SETTING non_replicated_deduplication_window = 10000;
