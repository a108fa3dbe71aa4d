-- @description Entitled symbols ranked by price change over a trailing window: gainers, losers, or both by absolute change.
-- @roles trader
-- @param to DateTime default=now : window end, exclusive
-- @param window Interval default=24h min=1m max=30d step=1m : window length (whole minutes)
-- @param direction Enum values=both|gainers|losers default=both : which movers
-- @param limit UInt32 default=10 min=1 max=100 : how many
-- @cache bucket=60 open_ttl=1 closed_ttl=86400 covers=window
SELECT symbol, open, last, last - open AS change,
    round(toFloat64(last - open) / toFloat64(open) * 100, 4) AS change_pct,
    volume, trades
FROM
(
    SELECT
        symbol,
        argMinMerge(c.open) AS open,
        argMaxMerge(c.close) AS last,
        sum(c.volume) AS volume,
        sum(c.trades) AS trades
    FROM candles_1m AS c
    WHERE ({all_symbols:UInt8} = 1 OR symbol IN {symbols:Array(String)})
      AND bucket >= {to:DateTime64(3, 'UTC')} - toIntervalSecond({window:UInt32})
      AND bucket < {to:DateTime64(3, 'UTC')}
    GROUP BY symbol
)
WHERE {direction:String} = 'both'
   OR ({direction:String} = 'gainers' AND last > open)
   OR ({direction:String} = 'losers' AND last < open)
ORDER BY multiIf({direction:String} = 'losers', change_pct, {direction:String} = 'gainers', -change_pct, -abs(change_pct)), symbol
LIMIT {limit:UInt32}
