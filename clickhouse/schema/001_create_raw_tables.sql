-- Raw event tables: one row per accepted event, with the fields docs/events.md specifies.
-- Money and market quantities are Decimal so every rollup sum is exact and equals a
-- GROUP BY over these rows to the last digit. Timestamps are DateTime64(3, 'UTC').
-- Retention: raw market and storefront events a year (rows older than that are dropped
-- even on insert, so backfills must be younger); orders are kept for good.
-- received_at is set by the writer (ingest time) and feeds the freshness metrics.

CREATE TABLE IF NOT EXISTS trades
(
    id          String,
    ts          DateTime64(3, 'UTC'),
    symbol      LowCardinality(String),
    price       Decimal(18, 8),
    qty         Decimal(18, 8),
    side        Enum8('buy' = 1, 'sell' = 2),
    venue       LowCardinality(String) DEFAULT '',
    received_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (symbol, ts, id)
TTL toDateTime(ts) + INTERVAL 365 DAY;

CREATE TABLE IF NOT EXISTS orders
(
    order_id    String,
    ts          DateTime64(3, 'UTC'),
    shop_id     LowCardinality(String),
    customer_id String,
    product_id  String,
    category    LowCardinality(String),
    quantity    UInt32,
    unit_price  Decimal(18, 4),
    unit_cost   Nullable(Decimal(18, 4)),
    currency    LowCardinality(FixedString(3)) DEFAULT 'USD',
    status      Enum8('completed' = 1, 'pending' = 2, 'cancelled' = 3, 'refunded' = 4),
    country     LowCardinality(String) DEFAULT '',
    received_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (shop_id, ts, order_id);

CREATE TABLE IF NOT EXISTS web_events
(
    ts          DateTime64(3, 'UTC'),
    session_id  String,
    shop_id     LowCardinality(String),
    type        Enum8('view' = 1, 'add_to_cart' = 2, 'checkout' = 3, 'purchase' = 4),
    customer_id String DEFAULT '',
    product_id  String DEFAULT '',
    received_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (shop_id, ts, session_id)
TTL toDateTime(ts) + INTERVAL 365 DAY;
