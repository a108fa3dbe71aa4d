-- source: orders
-- data_version_buckets: every INSERT adds its rows to the day, hour and minute buckets they fall
-- in, whatever their status; input-2 is a line 12 days late, input-3 two more lines for a
-- minute already seen. (The fixtures are older than the minute and hour rows' TTL, which
-- merges would apply; merges are stopped here.)

-- The version of each bucket (what the gateway polls).
SELECT source, unit, bucket, sum(rows) AS rows FROM data_version_buckets GROUP BY source, unit, bucket ORDER BY source, unit, bucket;

-- One partial row per INSERT and day, as each INSERT left it: one part per INSERT.
SELECT source, bucket, rows FROM data_version_buckets WHERE unit = 'd' ORDER BY source, bucket, rows;

-- Buckets whose version differs from the count of stored rows, both ways, at each unit: 0.
WITH
    versions AS (SELECT toString(unit) AS u, bucket, sum(rows) AS n FROM data_version_buckets WHERE source = 'orders' GROUP BY u, bucket),
    raw AS
    (
        SELECT 'd' AS u, toStartOfDay(ts) AS bucket, count() AS n FROM orders GROUP BY bucket
        UNION ALL SELECT 'h' AS u, toStartOfHour(ts) AS bucket, count() AS n FROM orders GROUP BY bucket
        UNION ALL SELECT 'm' AS u, toStartOfMinute(ts) AS bucket, count() AS n FROM orders GROUP BY bucket
    )
SELECT count()
FROM
(
    SELECT * FROM (SELECT * FROM versions EXCEPT SELECT * FROM raw)
    UNION ALL
    SELECT * FROM (SELECT * FROM raw EXCEPT SELECT * FROM versions)
);
