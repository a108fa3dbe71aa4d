-- 1-minute OHLCV candles per symbol, kept 30 days.
-- Fed straight from trades (not cascaded from a finer rollup) so every granularity is
-- exact on its own and a late trade reaches all three. Read with GROUP BY symbol, bucket
-- (see clickhouse/README.md): rows of one bucket merge only in the background.
CREATE TABLE IF NOT EXISTS candles_1m
(
    symbol       LowCardinality(String),
    bucket       DateTime('UTC'),
    -- (ts, id) orders trades of the same millisecond: the smallest id opens, the largest closes.
    open         AggregateFunction(argMin, Decimal(18, 8), Tuple(DateTime64(3, 'UTC'), String)),
    high         SimpleAggregateFunction(max, Decimal(18, 8)),
    low          SimpleAggregateFunction(min, Decimal(18, 8)),
    close        AggregateFunction(argMax, Decimal(18, 8), Tuple(DateTime64(3, 'UTC'), String)),
    volume       SimpleAggregateFunction(sum, Decimal(38, 8)),
    -- sum(price * qty) at the full scale 8 + 8, so VWAP = quote_volume / volume is exact.
    quote_volume SimpleAggregateFunction(sum, Decimal(38, 16)),
    buy_volume   SimpleAggregateFunction(sum, Decimal(38, 8)),
    trades       SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
-- Daily partitions with ttl_only_drop_parts: an expired day is dropped whole, never rewritten.
PARTITION BY toYYYYMMDD(bucket)
ORDER BY (symbol, bucket)
TTL bucket + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_candles_1m_from_trades TO candles_1m AS
SELECT
    symbol,
    toStartOfMinute(ts) AS bucket,
    argMinState(price, (ts, id)) AS open,
    max(price) AS high,
    min(price) AS low,
    argMaxState(price, (ts, id)) AS close,
    sum(qty) AS volume,
    -- Widen first: Decimal(18, 8) * Decimal(18, 8) stays 64-bit at scale 16 and overflows above 99.99.
    sum(toDecimal128(price, 8) * qty) AS quote_volume,
    sumIf(qty, side = 'buy') AS buy_volume,
    count() AS trades
FROM trades
GROUP BY symbol, bucket;
