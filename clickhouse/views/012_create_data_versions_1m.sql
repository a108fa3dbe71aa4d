-- data_versions by minute for the last day. At hour granularity a closed range ending in the
-- current hour (symbol_stats to the last full minute, a chart of the last hour) shared its
-- hour's version with the rows arriving now, so under continuous ingestion its key changed
-- every second. The gateway reads this table from the start of the previous hour on,
-- data_versions_1h back to yesterday 00:00 UTC, and data_versions before that.
CREATE TABLE IF NOT EXISTS data_versions_1m
(
    source      LowCardinality(String),
    minute      DateTime('UTC'),
    rows        SimpleAggregateFunction(sum, UInt64),
    last_insert SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (source, minute)
TTL minute + INTERVAL 1 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_versions_1m_from_trades TO data_versions_1m AS
SELECT 'trades' AS source, toStartOfMinute(ts) AS minute, count() AS rows, now64(3) AS last_insert
FROM trades
GROUP BY minute;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_versions_1m_from_orders TO data_versions_1m AS
SELECT 'orders' AS source, toStartOfMinute(ts) AS minute, count() AS rows, now64(3) AS last_insert
FROM orders
GROUP BY minute;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_versions_1m_from_web_events TO data_versions_1m AS
SELECT 'web_events' AS source, toStartOfMinute(ts) AS minute, count() AS rows, now64(3) AS last_insert
FROM web_events
GROUP BY minute;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_versions_1m_from_dead_letters TO data_versions_1m AS
SELECT 'dead_letters' AS source, toStartOfMinute(received_at) AS minute, count() AS rows, now64(3) AS last_insert
FROM dead_letters
GROUP BY minute;
