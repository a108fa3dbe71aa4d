-- @description Per-symbol statistics over a trailing window (24h by default): open, last, change, high, low, volume, VWAP, trades; every entitled symbol, or one.
-- @roles trader
-- @param symbol Symbol default= : one symbol, or empty for every entitled symbol
-- @param to DateTime default=now : window end, exclusive
-- @param window Interval default=24h min=1m max=30d step=1m : window length (whole minutes)
-- @cache bucket=60 open_ttl=1 closed_ttl=86400 covers=window
SELECT
    symbol, open, last, last - open AS change,
    round(toFloat64(last - open) / toFloat64(open) * 100, 4) AS change_pct,
    high, low, volume, quote_volume,
    -- 256-bit dividend: Decimal128 / Decimal128 overflows silently on large quote volumes (clickhouse/README.md).
    if(volume = 0, NULL, toDecimal256(quote_volume, 16) / volume) AS vwap,
    trades
FROM
(
    SELECT
        symbol,
        argMinMerge(c.open) AS open,
        argMaxMerge(c.close) AS last,
        max(c.high) AS high,
        min(c.low) AS low,
        sum(c.volume) AS volume,
        sum(c.quote_volume) AS quote_volume,
        sum(c.trades) AS trades
    FROM candles_1m AS c
    WHERE ({all_symbols:UInt8} = 1 OR symbol IN {symbols:Array(String)})
      AND ({symbol:String} = '' OR symbol = {symbol:String})
      AND bucket >= {to:DateTime64(3, 'UTC')} - toIntervalSecond({window:UInt32})
      AND bucket < {to:DateTime64(3, 'UTC')}
    GROUP BY symbol
)
ORDER BY symbol
