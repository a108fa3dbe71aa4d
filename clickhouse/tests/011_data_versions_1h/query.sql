-- source: orders
-- data_versions_1h: as data_versions, by event hour (the gateway reads it for recent hours).
-- The fixtures are older than its three-day TTL, which merges would apply; merges are stopped here.

-- The version of each hour.
SELECT source, hour, sum(rows) AS rows FROM data_versions_1h GROUP BY source, hour ORDER BY source, hour;

-- Hours whose version differs from the count of stored rows, both ways: 0.
SELECT count()
FROM
(
    SELECT * FROM (SELECT hour, sum(rows) AS n FROM data_versions_1h WHERE source = 'orders' GROUP BY hour
                   EXCEPT SELECT toStartOfHour(ts) AS hour, count() AS n FROM orders GROUP BY hour)
    UNION ALL
    SELECT * FROM (SELECT toStartOfHour(ts) AS hour, count() AS n FROM orders GROUP BY hour
                   EXCEPT SELECT hour, sum(rows) AS n FROM data_versions_1h WHERE source = 'orders' GROUP BY hour)
);
