-- @description Risk score 0–100 of each order line of one shop with its reasons (amount against the customer's own history, orders in the last 10 minutes, a new or rare country, unusual quantity); a line scoring 80 or more is flagged. Highest scores first.
-- @roles seller
-- @param shop Shop required : the shop
-- @param from DateTime default=-24h : lines from, inclusive
-- @param to DateTime default=now : lines to, exclusive; baselines are the 30 days before it (for a range ending in the last hour, the latest minutely snapshot of them)
-- @param min_score UInt32 default=80 min=0 max=100 : lines scoring at least this (80 flags a line)
-- @param customer_id Id default= : one customer, or empty for all
-- @param limit UInt32 default=500 min=1 max=100000 : lines, highest score first
-- @cache bucket=60 open_ttl=5 closed_ttl=86400
SELECT
    ts, order_id, product_id, customer_id, country, currency, status, quantity, amount, score, flagged, reasons,
    amount_z, orders_10m, new_country, quantity_z
FROM insight_order_risk(shop = {shop:String}, range_from = {from:DateTime64(3, 'UTC')}, range_to = {to:DateTime64(3, 'UTC')}, customer = {customer_id:String},
    snapshot = toUInt8({to:DateTime64(3, 'UTC')} >= now64(3, 'UTC') - INTERVAL 1 HOUR))
WHERE score >= {min_score:UInt32}
ORDER BY score DESC, ts DESC, order_id, product_id
LIMIT {limit:UInt32}
