-- @description The trade tape of one symbol, newest first, paginated by keyset: pass the last row's ts and id as before_ts and before_id for the next page.
-- @roles trader
-- @param symbol Symbol required : the symbol
-- @param from DateTime default=-1h : oldest trade time, inclusive
-- @param to DateTime default=now : newest trade time, exclusive
-- @param before_ts DateTime default=2100-01-01T00:00:00Z : page cursor: only trades before (before_ts, before_id)
-- @param before_id Id default= : page cursor, with before_ts
-- @param limit UInt32 default=100 min=1 max=1000 : page size
-- @cache bucket=1 open_ttl=1 closed_ttl=86400 covers=range
SELECT ts, id, price, qty, side, venue
FROM trades
WHERE symbol = {symbol:String}
  AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}
  AND (ts, id) < ({before_ts:DateTime64(3, 'UTC')}, {before_id:String})
ORDER BY ts DESC, id DESC
LIMIT {limit:UInt32}
