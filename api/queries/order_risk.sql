-- @description Risk score 0–100 of each order line of one shop with its reasons (amount against the customer's own history, orders in the last 10 minutes, a new or rare country, unusual quantity); a line scoring 80 or more is flagged. Highest scores first.
-- @roles seller
-- @param shop Shop required : the shop
-- @param from DateTime default=-24h : lines from, inclusive
-- @param to DateTime default=now : lines to, exclusive; baselines are the 30 days before it (for a range ending in the last hour, the latest minutely snapshot of them). A range within the 24 hours before the latest minutely snapshot of scores (insights.order_risk) and ending after it (the default) takes the lines older than a minute before that snapshot from it, as scored then, and scores the rest now
-- @param min_score UInt32 default=80 min=0 max=100 : lines scoring at least this (80 flags a line)
-- @param customer_id Id default= : one customer, or empty for all
-- @param limit UInt32 default=500 min=1 max=100000 : lines, highest score first
-- @cache bucket=60 open_ttl=5 closed_ttl=86400
WITH
    -- The snapshot covers the 24 hours before its refresh's minute; a stale one (refreshes stopped) is not used.
    (SELECT max(computed_at) FROM insights.order_risk) AS snapshot_at,
    snapshot_at >= now64(3, 'UTC') - INTERVAL 5 MINUTE AND {to:DateTime64(3, 'UTC')} >= snapshot_at
        AND {from:DateTime64(3, 'UTC')} >= toStartOfMinute(snapshot_at) - INTERVAL 24 HOUR AS from_snapshot,
    -- Lines from a minute before the refresh on are scored now: some of them may have arrived after it.
    if(from_snapshot, greatest({from:DateTime64(3, 'UTC')}, snapshot_at - INTERVAL 1 MINUTE), {from:DateTime64(3, 'UTC')}) AS live_from
SELECT
    ts, order_id, product_id, customer_id, country, currency, status, quantity, amount, score, flagged, reasons,
    amount_z, orders_10m, new_country, quantity_z
FROM
(
    SELECT
        ts, order_id, product_id, customer_id, country, currency, status, quantity, amount, score, flagged, reasons,
        amount_z, orders_10m, new_country, quantity_z
    FROM insights.order_risk
    WHERE from_snapshot AND shop_id = {shop:String} AND ts >= {from:DateTime64(3, 'UTC')} AND ts < live_from
        AND ({customer_id:String} = '' OR customer_id = {customer_id:String}) AND score >= {min_score:UInt32}
    UNION ALL
    -- The rest scored now: the whole range without the snapshot, else its last minute and after.
    SELECT
        ts, order_id, product_id, customer_id, country, currency, status, quantity, amount, score, flagged, reasons,
        amount_z, orders_10m, new_country, quantity_z
    FROM insight_order_risk(shop = {shop:String}, range_from = live_from,
        range_to = {to:DateTime64(3, 'UTC')}, customer = {customer_id:String},
        snapshot = toUInt8({to:DateTime64(3, 'UTC')} >= now64(3, 'UTC') - INTERVAL 1 HOUR))
    WHERE score >= {min_score:UInt32}
)
ORDER BY score DESC, ts DESC, order_id, product_id
LIMIT {limit:UInt32}
