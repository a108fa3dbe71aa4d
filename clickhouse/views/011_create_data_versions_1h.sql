-- data_versions by hour for the last three days. At day granularity, a closed range of the
-- last few hours shares its day with the events arriving right now, so under continuous
-- ingestion its version, and its cache key, changed every second. The gateway reads this
-- table for yesterday and today (hours) and data_versions before that (days), so a closed
-- range of recent hours keeps its key until a row lands in one of its own hours.
-- Older hours expire: the day table covers them.
CREATE TABLE IF NOT EXISTS data_versions_1h
(
    source      LowCardinality(String),
    hour        DateTime('UTC'),
    rows        SimpleAggregateFunction(sum, UInt64),
    last_insert SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (source, hour)
TTL hour + INTERVAL 3 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_versions_1h_from_trades TO data_versions_1h AS
SELECT 'trades' AS source, toStartOfHour(ts) AS hour, count() AS rows, now64(3) AS last_insert
FROM trades
GROUP BY hour;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_versions_1h_from_orders TO data_versions_1h AS
SELECT 'orders' AS source, toStartOfHour(ts) AS hour, count() AS rows, now64(3) AS last_insert
FROM orders
GROUP BY hour;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_versions_1h_from_web_events TO data_versions_1h AS
SELECT 'web_events' AS source, toStartOfHour(ts) AS hour, count() AS rows, now64(3) AS last_insert
FROM web_events
GROUP BY hour;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_versions_1h_from_dead_letters TO data_versions_1h AS
SELECT 'dead_letters' AS source, toStartOfHour(received_at) AS hour, count() AS rows, now64(3) AS last_insert
FROM dead_letters
GROUP BY hour;
