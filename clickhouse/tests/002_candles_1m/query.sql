-- source: trades
-- candles_1m: three INSERTs of trades (out-of-order rows, trades sharing a millisecond,
-- a timestamp repeated across INSERTs, late trades for old buckets in the last INSERT,
-- a BTC-VND candle whose quote volume would overflow a Decimal128 division)
-- must read back as the candles one GROUP BY over all trades gives.

-- The rollup, read as clickhouse/README.md says.
SELECT
    symbol,
    bucket,
    argMinMerge(open) AS open,
    max(high) AS high,
    min(low) AS low,
    argMaxMerge(close) AS close,
    sum(volume) AS volume,
    sum(quote_volume) AS quote_volume,
    sum(buy_volume) AS buy_volume,
    sum(trades) AS trades,
    toDecimal256(quote_volume, 16) / volume AS vwap
FROM candles_1m
GROUP BY symbol, bucket
ORDER BY symbol, bucket;

-- Merges are stopped by the runner: each INSERT left its own partial row per candle.
SELECT count() AS stored_rows, uniqExact(symbol, bucket) AS candles FROM candles_1m;

-- The same numbers straight from trades.
SELECT
    symbol,
    toStartOfMinute(ts) AS bucket,
    argMin(price, (ts, id)) AS open,
    max(price) AS high,
    min(price) AS low,
    argMax(price, (ts, id)) AS close,
    sum(qty) AS volume,
    sum(toDecimal128(price, 8) * qty) AS quote_volume,
    sumIf(qty, side = 'buy') AS buy_volume,
    count() AS trades,
    toDecimal256(quote_volume, 16) / volume AS vwap
FROM trades
GROUP BY symbol, bucket
ORDER BY symbol, bucket;

-- Rows that differ between the two, both ways: must be 0.
WITH
    rollup AS
    (
    SELECT
        symbol,
        bucket,
        argMinMerge(open) AS open,
        max(high) AS high,
        min(low) AS low,
        argMaxMerge(close) AS close,
        sum(volume) AS volume,
        sum(quote_volume) AS quote_volume,
        sum(buy_volume) AS buy_volume,
        sum(trades) AS trades,
        toDecimal256(quote_volume, 16) / volume AS vwap
    FROM candles_1m
    GROUP BY symbol, bucket
    ),
    raw AS
    (
    SELECT
        symbol,
        toStartOfMinute(ts) AS bucket,
        argMin(price, (ts, id)) AS open,
        max(price) AS high,
        min(price) AS low,
        argMax(price, (ts, id)) AS close,
        sum(qty) AS volume,
        sum(toDecimal128(price, 8) * qty) AS quote_volume,
        sumIf(qty, side = 'buy') AS buy_volume,
        count() AS trades,
        toDecimal256(quote_volume, 16) / volume AS vwap
    FROM trades
    GROUP BY symbol, bucket
    )
SELECT count()
FROM
(
    SELECT * FROM (SELECT * FROM rollup EXCEPT SELECT * FROM raw)
    UNION ALL
    SELECT * FROM (SELECT * FROM raw EXCEPT SELECT * FROM rollup)
);
