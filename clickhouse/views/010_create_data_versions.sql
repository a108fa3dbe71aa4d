-- A version per raw table and day: how many rows have ever been stored for events of that
-- day. Every INSERT into a raw table adds to the days its rows fall on, whichever path wrote
-- it (the gateway's INSERT, the Kafka engine's views), so a changed count means the rollups
-- of that day may have changed. The gateway polls this small table about once a second and
-- puts the counts of the days a catalog call covers into its cache key: a late event, 10 s
-- or 10 days late, makes the cached answers over its day unreachable (docs/api.md, Cache).
-- A count, not max(received_at): two INSERTs in one millisecond, or one whose received_at is
-- older than another's already seen, would not move a max.
CREATE TABLE IF NOT EXISTS data_versions
(
    source      LowCardinality(String),
    day         Date,
    rows        SimpleAggregateFunction(sum, UInt64),
    -- When the day last changed, for operators; not part of the version.
    last_insert SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (source, day);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_versions_from_trades TO data_versions AS
SELECT 'trades' AS source, toDate(ts) AS day, count() AS rows, now64(3) AS last_insert
FROM trades
GROUP BY day;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_versions_from_orders TO data_versions AS
SELECT 'orders' AS source, toDate(ts) AS day, count() AS rows, now64(3) AS last_insert
FROM orders
GROUP BY day;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_versions_from_web_events TO data_versions AS
SELECT 'web_events' AS source, toDate(ts) AS day, count() AS rows, now64(3) AS last_insert
FROM web_events
GROUP BY day;

-- Dead letters are read by the time they were received.
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_data_versions_from_dead_letters TO data_versions AS
SELECT 'dead_letters' AS source, toDate(received_at) AS day, count() AS rows, now64(3) AS last_insert
FROM dead_letters
GROUP BY day;
