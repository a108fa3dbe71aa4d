-- Snapshots of the heavy insights for every shop, recomputed by ClickHouse every minute
-- (refreshable materialized views), so the catalog's default answers read a few rows instead of
-- scanning a shop's whole order history (a shop of 1M lines: a few ms instead of 0.2-0.5 s,
-- far more on a busy machine). An explicit as_of (or other non-default parameters) still
-- computes live from the views 020-022 (the catalog queries switch with the `enabled` argument).
-- chDB's default database (Overlay) allows only APPEND refreshes; in an Atomic database each
-- refresh replaces its table whole, so every snapshot table holds exactly the latest run. The
-- views read the application's tables in `default` by name (a view in another database would
-- look for them there).
CREATE DATABASE IF NOT EXISTS insights ENGINE = Atomic;

-- insight_rfm for every shop as of the refresh.
CREATE MATERIALIZED VIEW IF NOT EXISTS insights.rfm
REFRESH EVERY 1 MINUTE
ENGINE = MergeTree ORDER BY (shop_id, currency, segment, customer_id)
AS SELECT now64(3, 'UTC') AS computed_at, *
FROM default.insight_rfm(shop = '', as_of = now64(3, 'UTC'), enabled = 1);

-- insight_forecast for every shop from the bucket holding the refresh time, with 28 days of
-- history: net revenue and every product's net units, 48 hours and 14 days ahead.
CREATE MATERIALIZED VIEW IF NOT EXISTS insights.forecasts
REFRESH EVERY 1 MINUTE
ENGINE = MergeTree ORDER BY (shop_id, metric, step_s, currency, product_id, t)
AS SELECT now64(3, 'UTC') AS computed_at, metric, step_s, shop_id, currency, product_id, t, forecast, lower, upper
FROM
(
    SELECT 'revenue' AS metric, toUInt32(3600) AS step_s, * FROM default.insight_forecast(shop = '', metric = 'revenue', product = '', step_s = 3600, horizon = 48, history_days = 28, as_of = now64(3, 'UTC'), enabled = 1)
    UNION ALL
    SELECT 'revenue' AS metric, toUInt32(86400) AS step_s, * FROM default.insight_forecast(shop = '', metric = 'revenue', product = '', step_s = 86400, horizon = 14, history_days = 28, as_of = now64(3, 'UTC'), enabled = 1)
    UNION ALL
    SELECT 'units' AS metric, toUInt32(3600) AS step_s, * FROM default.insight_forecast(shop = '', metric = 'units', product = '', step_s = 3600, horizon = 48, history_days = 28, as_of = now64(3, 'UTC'), enabled = 1)
    UNION ALL
    SELECT 'units' AS metric, toUInt32(86400) AS step_s, * FROM default.insight_forecast(shop = '', metric = 'units', product = '', step_s = 86400, horizon = 14, history_days = 28, as_of = now64(3, 'UTC'), enabled = 1)
);

-- Completed orders of the last 90 days per shop, product and co-bought product: orders holding
-- both (other_id = product_id: orders holding the product; both '': every order of the shop).
-- One pass: each order's products as an array, crossed with itself.
CREATE MATERIALIZED VIEW IF NOT EXISTS insights.bought_together
REFRESH EVERY 1 MINUTE
ENGINE = MergeTree ORDER BY (shop_id, product_id, other_id)
AS SELECT now64(3, 'UTC') AS computed_at, shop_id, p.1 AS product_id, q.1 AS other_id, any(q.2) AS other_category, count() AS orders
FROM
(
    SELECT shop_id, order_id, arrayConcat([('', '')], groupUniqArray((product_id, toString(category)))) AS products
    FROM default.orders
    WHERE status = 'completed' AND ts >= now64(3, 'UTC') - INTERVAL 90 DAY AND ts < now64(3, 'UTC')
    GROUP BY shop_id, order_id
)
ARRAY JOIN products AS p
ARRAY JOIN products AS q
WHERE (p.1 = '') = (q.1 = '')
GROUP BY shop_id, product_id, other_id;
