-- Refunded lines per shop, customer and currency: what customer_stats (completed lines
-- only) leaves out, so lifetime value can be net: revenue = customer_stats.revenue -
-- customer_refunds.refunds (docs/api.md, "Metrics"). A refund counts however long after the
-- sale it arrives, and before it (late data): both sides are plain sums.
CREATE TABLE IF NOT EXISTS customer_refunds
(
    shop_id        LowCardinality(String),
    customer_id    String,
    currency       LowCardinality(FixedString(3)),
    refunds        SimpleAggregateFunction(sum, Decimal(38, 4)),
    refunded_cost  SimpleAggregateFunction(sum, Decimal(38, 4)),
    returned_units SimpleAggregateFunction(sum, UInt64),
    refund_lines   SimpleAggregateFunction(sum, UInt64),
    last_refund    SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
-- No time partition, as customer_stats: a customer's row merges across all of their history.
ORDER BY (shop_id, customer_id, currency)
-- A block re-inserted with the same deduplication token must not count twice (schema/030).
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_customer_refunds_from_orders TO customer_refunds AS
SELECT
    shop_id,
    customer_id,
    currency,
    -- Widened before multiplying, as in every sales rollup.
    sum(quantity * toDecimal128(unit_price, 4)) AS refunds,
    sum(quantity * toDecimal128(ifNull(unit_cost, 0), 4)) AS refunded_cost,
    sum(quantity) AS returned_units,
    count() AS refund_lines,
    max(ts) AS last_refund
FROM orders
WHERE status = 'refunded'
GROUP BY shop_id, customer_id, currency;

-- Backfill: the refunds stored before this view existed. The view is created first, so a
-- refund written during this statement is counted twice rather than lost; the gateway runs
-- migrations before it accepts events (stop Kafka producers while upgrading to be exact).
-- The cluster schema leaves backfills out: a cluster built from it starts empty.
INSERT INTO customer_refunds
SELECT
    shop_id,
    customer_id,
    currency,
    sum(quantity * toDecimal128(unit_price, 4)) AS refunds,
    sum(quantity * toDecimal128(ifNull(unit_cost, 0), 4)) AS refunded_cost,
    sum(quantity) AS returned_units,
    count() AS refund_lines,
    max(ts) AS last_refund
FROM orders
WHERE status = 'refunded'
GROUP BY shop_id, customer_id, currency;
