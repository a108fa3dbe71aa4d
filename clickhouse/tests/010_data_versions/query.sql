-- source: orders
-- data_versions: every INSERT adds its rows to the days they fall on, whatever their status;
-- input-2 is a line 12 days late, input-3 two more lines for a day already seen.

-- The version of each day (what the gateway polls).
SELECT source, day, sum(rows) AS rows FROM data_versions GROUP BY source, day ORDER BY source, day;

-- One partial row per INSERT and day, as each INSERT left it (merges are stopped).
SELECT source, day, rows FROM data_versions ORDER BY source, day, rows;

-- Days whose version differs from the count of stored rows, both ways: 0.
SELECT count()
FROM
(
    SELECT * FROM (SELECT day, sum(rows) AS n FROM data_versions WHERE source = 'orders' GROUP BY day
                   EXCEPT SELECT toDate(ts) AS day, count() AS n FROM orders GROUP BY day)
    UNION ALL
    SELECT * FROM (SELECT toDate(ts) AS day, count() AS n FROM orders GROUP BY day
                   EXCEPT SELECT day, sum(rows) AS n FROM data_versions WHERE source = 'orders' GROUP BY day)
);
