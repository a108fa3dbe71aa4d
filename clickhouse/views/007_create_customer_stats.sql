-- One row per shop, customer and currency over completed lines only: the base for
-- cohorts (first_purchase, active_months) and RFM (last_purchase, orders, revenue).
-- Lines in any other status (pending, cancelled, refunded) are left out, never subtracted.
CREATE TABLE IF NOT EXISTS customer_stats
(
    shop_id        LowCardinality(String),
    customer_id    String,
    currency       LowCardinality(FixedString(3)),
    first_purchase SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_purchase  SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    orders         AggregateFunction(uniqExact, String),
    revenue        SimpleAggregateFunction(sum, Decimal(38, 4)),
    units          SimpleAggregateFunction(sum, UInt64),
    -- UTC months with a completed purchase, so cohort retention needs no trip back to orders.
    active_months  SimpleAggregateFunction(groupUniqArrayArray, Array(Date))
)
ENGINE = AggregatingMergeTree
-- No time partition: a customer's row must merge across all of their history.
ORDER BY (shop_id, customer_id, currency);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_customer_stats_from_orders TO customer_stats AS
SELECT
    shop_id,
    customer_id,
    currency,
    min(ts) AS first_purchase,
    max(ts) AS last_purchase,
    uniqExactState(order_id) AS orders,
    sum(quantity * toDecimal128(unit_price, 4)) AS revenue,
    sum(quantity) AS units,
    groupUniqArray(toStartOfMonth(ts)) AS active_months
FROM orders
WHERE status = 'completed'
GROUP BY shop_id, customer_id, currency;
