-- The rollups' own deduplication windows (see schema/030_deduplicate_raw_tables.sql): a block
-- re-inserted into a raw table with the same token is dropped by every rollup that already has
-- it, and written to one that does not. Every table a raw table feeds needs a window; a test
-- (ingest/dedup.integration.test.ts) fails for one that has none.
ALTER TABLE candles_1s MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE candles_1m MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE candles_1h MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE sales_1m MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE sales_1h MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE product_sales_1h MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE customer_stats MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE funnel_1m MODIFY SETTING non_replicated_deduplication_window = 10000;
