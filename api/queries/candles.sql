-- @description OHLCV candles of one symbol at any interval over any range; reads the coarsest rollup (1s, 1m, 1h) that divides the interval.
-- @roles trader
-- @param symbol Symbol required : the symbol
-- @param from DateTime default=-1h : range start, inclusive (bucket time)
-- @param to DateTime default=now : range end, exclusive
-- @param interval Interval default=1m min=1s max=7d : candle width (1s, 90s, 5m, 1h, 1d …)
-- @cache bucket=interval open_ttl=1 closed_ttl=86400 covers=range
SELECT
    t,
    open, high, low, close, volume, quote_volume, buy_volume, trades
FROM
(
    SELECT
        toStartOfInterval(bucket, toIntervalSecond({interval:UInt32})) AS t,
        argMinMerge(open) AS open,
        max(high) AS high,
        min(low) AS low,
        argMaxMerge(close) AS close,
        sum(volume) AS volume,
        sum(quote_volume) AS quote_volume,
        sum(buy_volume) AS buy_volume,
        sum(trades) AS trades
    FROM
    (
        SELECT * FROM candles_1s
        WHERE {interval:UInt32} % 60 != 0 AND symbol = {symbol:String}
          AND bucket >= {from:DateTime64(3, 'UTC')} AND bucket < {to:DateTime64(3, 'UTC')}
        UNION ALL
        SELECT * FROM candles_1m
        WHERE {interval:UInt32} % 60 = 0 AND {interval:UInt32} % 3600 != 0 AND symbol = {symbol:String}
          AND bucket >= {from:DateTime64(3, 'UTC')} AND bucket < {to:DateTime64(3, 'UTC')}
        UNION ALL
        SELECT * FROM candles_1h
        WHERE {interval:UInt32} % 3600 = 0 AND symbol = {symbol:String}
          AND bucket >= {from:DateTime64(3, 'UTC')} AND bucket < {to:DateTime64(3, 'UTC')}
    )
    GROUP BY t
)
ORDER BY t
