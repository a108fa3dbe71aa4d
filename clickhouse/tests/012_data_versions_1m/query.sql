-- source: orders
-- data_versions_1m: as data_versions, by event minute (the gateway reads it from the previous hour on).
-- The fixtures are older than its one-day TTL, which merges would apply; merges are stopped here.

-- The version of each minute.
SELECT source, minute, sum(rows) AS rows FROM data_versions_1m GROUP BY source, minute ORDER BY source, minute;

-- Minutes whose version differs from the count of stored rows, both ways: 0.
SELECT count()
FROM
(
    SELECT * FROM (SELECT minute, sum(rows) AS n FROM data_versions_1m WHERE source = 'orders' GROUP BY minute
                   EXCEPT SELECT toStartOfMinute(ts) AS minute, count() AS n FROM orders GROUP BY minute)
    UNION ALL
    SELECT * FROM (SELECT toStartOfMinute(ts) AS minute, count() AS n FROM orders GROUP BY minute
                   EXCEPT SELECT minute, sum(rows) AS n FROM data_versions_1m WHERE source = 'orders' GROUP BY minute)
);
