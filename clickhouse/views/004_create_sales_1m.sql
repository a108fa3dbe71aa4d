-- Sales per shop and minute, split by order-line status and currency (never summed across
-- currencies). profit = revenue - cost at read; AOV = revenue / uniqExactMerge(orders).
CREATE TABLE IF NOT EXISTS sales_1m
(
    shop_id   LowCardinality(String),
    bucket    DateTime('UTC'),
    -- Same Enum as orders.status: extend both together.
    status    Enum8('completed' = 1, 'pending' = 2, 'cancelled' = 3, 'refunded' = 4),
    currency  LowCardinality(FixedString(3)),
    revenue   SimpleAggregateFunction(sum, Decimal(38, 4)),
    cost      SimpleAggregateFunction(sum, Decimal(38, 4)),
    units     SimpleAggregateFunction(sum, UInt64),
    lines     SimpleAggregateFunction(sum, UInt64),
    -- uniqExact states, not counts: an order or customer spanning buckets or inserts counts once.
    orders    AggregateFunction(uniqExact, String),
    customers AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (shop_id, bucket, status, currency);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_sales_1m_from_orders TO sales_1m AS
SELECT
    shop_id,
    toStartOfMinute(ts) AS bucket,
    status,
    currency,
    -- Widen to 128 bits before multiplying so a large line cannot overflow Decimal(18, 4).
    sum(quantity * toDecimal128(unit_price, 4)) AS revenue,
    -- A line without unit_cost costs 0 (profit is then overstated, never unknown).
    sum(quantity * toDecimal128(ifNull(unit_cost, 0), 4)) AS cost,
    sum(quantity) AS units,
    count() AS lines,
    uniqExactState(order_id) AS orders,
    uniqExactState(customer_id) AS customers
FROM orders
GROUP BY shop_id, bucket, status, currency;
