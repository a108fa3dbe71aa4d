-- Sales per shop, hour and product (with its category), split by status and currency.
-- Category totals merge the product rows; uniqExactMerge over the products' order states
-- still counts an order with lines in several products of a category once.
CREATE TABLE IF NOT EXISTS product_sales_1h
(
    shop_id    LowCardinality(String),
    bucket     DateTime('UTC'),
    category   LowCardinality(String),
    product_id String,
    -- Same Enum as orders.status: extend both together.
    status     Enum8('completed' = 1, 'pending' = 2, 'cancelled' = 3, 'refunded' = 4),
    currency   LowCardinality(FixedString(3)),
    revenue    SimpleAggregateFunction(sum, Decimal(38, 4)),
    cost       SimpleAggregateFunction(sum, Decimal(38, 4)),
    units      SimpleAggregateFunction(sum, UInt64),
    lines      SimpleAggregateFunction(sum, UInt64),
    orders     AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
-- category before product_id so a category breakdown reads one contiguous key range per shop and hour.
ORDER BY (shop_id, bucket, category, product_id, status, currency);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_product_sales_1h_from_orders TO product_sales_1h AS
SELECT
    shop_id,
    toStartOfHour(ts) AS bucket,
    category,
    product_id,
    status,
    currency,
    -- Widen to 128 bits before multiplying so a large line cannot overflow Decimal(18, 4).
    sum(quantity * toDecimal128(unit_price, 4)) AS revenue,
    -- A line without unit_cost costs 0 (profit is then overstated, never unknown).
    sum(quantity * toDecimal128(ifNull(unit_cost, 0), 4)) AS cost,
    sum(quantity) AS units,
    count() AS lines,
    uniqExactState(order_id) AS orders
FROM orders
GROUP BY shop_id, bucket, category, product_id, status, currency;
