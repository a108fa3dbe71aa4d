-- One table and one view per raw table: each view writes one part per INSERT holding the
-- day, hour and minute rows of its block (three tables with a view each cost about +55 % CPU
-- per embedded INSERT against +23 % for one: bench/results/2026-12-04-cache-versions-ingest-three-views.md).
--
-- data_version_buckets: how many rows each raw table holds per event day ('d'), hour ('h')
-- and minute ('m'). Every INSERT into a raw table adds to the buckets its rows fall in,
-- whichever path wrote it (HTTP ingestion or the Kafka consumer), so a changed
-- count means the rollups of that bucket may have changed. The gateway polls it about once a
-- second and puts the counts of the buckets a closed catalog range touches into its cache key
-- (api/cache/versions.ts): minutes from the previous hour's start, hours back to yesterday
-- 00:00 UTC, days before. A count, not max(received_at): two INSERTs in one millisecond, or one
-- whose received_at is older than another's already seen, would not move a max. Minute rows
-- are kept a day and hour rows three days: the gateway reads them for recent times only.

CREATE TABLE IF NOT EXISTS data_version_buckets
(
    source      LowCardinality(String),
    unit        Enum8('d' = 1, 'h' = 2, 'm' = 3),
    bucket      DateTime('UTC'),
    rows        SimpleAggregateFunction(sum, UInt64),
    -- When the bucket last changed, for operators; not part of the version.
    last_insert SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (source, unit, bucket)
TTL bucket + INTERVAL 1 DAY DELETE WHERE unit = 'm',
    bucket + INTERVAL 3 DAY DELETE WHERE unit = 'h'
-- A block re-inserted with the same deduplication token must not count twice (schema/030).
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_version_buckets_from_trades TO data_version_buckets AS
SELECT 'trades' AS source, b.1 AS unit, b.2 AS bucket, count() AS rows, now64(3) AS last_insert
FROM trades
ARRAY JOIN [('d', toStartOfDay(ts)), ('h', toStartOfHour(ts)), ('m', toStartOfMinute(ts))] AS b
GROUP BY unit, bucket;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_version_buckets_from_orders TO data_version_buckets AS
SELECT 'orders' AS source, b.1 AS unit, b.2 AS bucket, count() AS rows, now64(3) AS last_insert
FROM orders
ARRAY JOIN [('d', toStartOfDay(ts)), ('h', toStartOfHour(ts)), ('m', toStartOfMinute(ts))] AS b
GROUP BY unit, bucket;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_version_buckets_from_web_events TO data_version_buckets AS
SELECT 'web_events' AS source, b.1 AS unit, b.2 AS bucket, count() AS rows, now64(3) AS last_insert
FROM web_events
ARRAY JOIN [('d', toStartOfDay(ts)), ('h', toStartOfHour(ts)), ('m', toStartOfMinute(ts))] AS b
GROUP BY unit, bucket;

-- Dead letters are read by the time they were received.
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_version_buckets_from_dead_letters TO data_version_buckets AS
SELECT 'dead_letters' AS source, b.1 AS unit, b.2 AS bucket, count() AS rows, now64(3) AS last_insert
FROM dead_letters
ARRAY JOIN [('d', toStartOfDay(received_at)), ('h', toStartOfHour(received_at)), ('m', toStartOfMinute(received_at))] AS b
GROUP BY unit, bucket;
