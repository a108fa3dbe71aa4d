-- @description One customer of a shop, per currency: lifetime value (net revenue), orders, AOV, first and last purchase, countries, RFM segment and scores, risk (highest score, flagged lines, the lines scoring 30 or more) and the last 20 orders.
-- @roles seller
-- @param shop Shop required : the shop
-- @param customer_id Id required : the customer
-- @param as_of DateTime default=2100-01-01 : the profile as of this time (orders before it); by default now, with the segment from the latest snapshot (insights.rfm)
-- @cache bucket=60 open_ttl=10 closed_ttl=86400
WITH
    lines AS (
        SELECT order_id, ts, product_id, quantity, toString(status) AS status, toString(currency) AS currency, country,
            quantity * toDecimal128(unit_price, 4) AS amount
        FROM orders
        WHERE shop_id = {shop:String} AND customer_id = {customer_id:String} AND ts < {as_of:DateTime64(3, 'UTC')}
    ),
    risk AS (
        SELECT ts, order_id, product_id, score, reasons
        FROM insight_order_risk(shop = {shop:String}, range_from = toDateTime64(0, 3, 'UTC'),
            range_to = if({as_of:DateTime64(3, 'UTC')} >= '2100-01-01', now64(3, 'UTC') + INTERVAL 1 MINUTE, {as_of:DateTime64(3, 'UTC')}), customer = {customer_id:String},
            snapshot = toUInt8({as_of:DateTime64(3, 'UTC')} >= now64(3, 'UTC') - INTERVAL 1 HOUR))
    )
SELECT
    s.currency AS currency, {customer_id:String} AS customer_id,
    if(s.orders = 0, NULL, s.first_purchase) AS first_purchase, if(s.orders = 0, NULL, s.last_purchase) AS last_purchase,
    s.orders AS orders, s.units AS units, s.gross AS gross, s.refunds AS refunds, s.gross - s.refunds AS lifetime_value,
    if(s.orders = 0, NULL, lifetime_value / s.orders) AS aov, s.countries AS countries,
    r.segment AS segment, r.segment_name AS segment_name, r.recency_days AS recency_days,
    r.r_score AS r_score, r.f_score AS f_score, r.m_score AS m_score,
    s.customer_max_score AS max_score, s.flagged_lines AS flagged_lines, s.risk_history AS risk_history, s.last_orders AS last_orders
FROM
(
    -- Per currency over the customer's orders (one pass over their lines and risk: each is read once).
    SELECT currency,
        minIf(first_completed, completed_lines > 0) AS first_purchase, maxIf(last_completed, completed_lines > 0) AS last_purchase,
        countIf(completed_lines > 0) AS orders, sum(completed_units) AS units, sum(completed_amount) AS gross, sum(refunded) AS refunds,
        arraySort(arrayDistinct(arrayFlatten(groupArray(order_countries)))) AS countries,
        max(max_score) AS customer_max_score, sum(flagged) AS flagged_lines,
        arraySlice(arrayReverseSort(x -> (x.ts, x.order_id, x.product_id), arrayFlatten(groupArray(risky))), 1, 50) AS risk_history,
        arraySlice(arrayReverseSort(x -> (x.ts, x.order_id), groupArrayIf(
            CAST((order_id, ts, status, order_lines, order_units, order_amount, refunded, max_score),
                 'Tuple(order_id String, ts DateTime64(3, \'UTC\'), status String, lines UInt64, units UInt64, amount Decimal(38, 4), refunded Decimal(38, 4), max_score UInt8)'),
            order_lines > 0)), 1, 20) AS last_orders
    FROM
    (
        -- One row per order: its lines (refund events apart), their risk, and what was refunded of it later.
        SELECT l.currency AS currency, l.order_id AS order_id, minIf(l.ts, l.status != 'refunded') AS ts,
            anyIf(l.status, l.status != 'refunded') AS status, countIf(l.status != 'refunded') AS order_lines,
            sumIf(l.quantity, l.status != 'refunded') AS order_units, sumIf(l.amount, l.status != 'refunded') AS order_amount,
            countIf(l.status = 'completed') AS completed_lines, minIf(l.ts, l.status = 'completed') AS first_completed,
            maxIf(l.ts, l.status = 'completed') AS last_completed, sumIf(l.quantity, l.status = 'completed') AS completed_units,
            sumIf(l.amount, l.status = 'completed') AS completed_amount, sumIf(l.amount, l.status = 'refunded') AS refunded,
            groupUniqArrayIf(l.country, l.country != '') AS order_countries,
            max(ifNull(k.score, 0)) AS max_score, countIf(k.score >= 80) AS flagged,
            groupArrayIf(CAST((l.ts, l.order_id, l.product_id, k.score, k.reasons),
                'Tuple(ts DateTime64(3, \'UTC\'), order_id String, product_id String, score UInt8, reasons Array(String))'), k.score >= 30) AS risky
        FROM lines AS l
        LEFT JOIN risk AS k ON k.order_id = l.order_id AND k.product_id = l.product_id AND k.ts = l.ts
        GROUP BY currency, order_id
    )
    GROUP BY currency
) AS s
LEFT JOIN
(
    SELECT currency, segment, segment_name, recency_days, r_score, f_score, m_score FROM insights.rfm
    WHERE {as_of:DateTime64(3, 'UTC')} >= '2100-01-01' AND shop_id = {shop:String} AND customer_id = {customer_id:String}
    UNION ALL
    SELECT currency, segment, segment_name, recency_days, r_score, f_score, m_score
    FROM insight_rfm(shop = {shop:String}, as_of = {as_of:DateTime64(3, 'UTC')}, enabled = toUInt8({as_of:DateTime64(3, 'UTC')} < '2100-01-01'))
    WHERE customer_id = {customer_id:String}
) AS r ON r.currency = s.currency
ORDER BY currency
