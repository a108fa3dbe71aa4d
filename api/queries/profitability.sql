-- @description Net revenue (gross minus refunds, docs/api.md Metrics), gross revenue, refunds, net cost, profit and margin per time bucket and currency.
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param from DateTime default=-7d : range start, inclusive
-- @param to DateTime default=now : range end, exclusive
-- @param interval Interval default=1d min=1h max=31d step=1h : bucket width (whole hours)
-- @cache bucket=interval open_ttl=5 closed_ttl=86400 covers=range
SELECT t, currency, revenue, gross_revenue, refunds, cost, revenue - cost AS profit,
    if(revenue = 0, NULL, round(toFloat64(revenue - cost) / toFloat64(revenue) * 100, 4)) AS margin_pct
FROM
(
    SELECT t, currency, gross_revenue - refunds AS revenue, gross_revenue, refunds, cost
    FROM
    (
        -- A refund returns the line's cost with its revenue: the goods come back.
        SELECT toStartOfInterval(s.bucket, toIntervalSecond({interval:UInt32})) AS t, toString(s.currency) AS currency,
            sumIf(s.revenue, s.status = 'completed') AS gross_revenue, sumIf(s.revenue, s.status = 'refunded') AS refunds,
            sumIf(s.cost, s.status = 'completed') - sumIf(s.cost, s.status = 'refunded') AS cost
        FROM sales_1h AS s
        WHERE s.status IN ('completed', 'refunded')
          AND ({all_shops:UInt8} = 1 OR s.shop_id IN {shops:Array(String)})
          AND ({shop:String} = '' OR s.shop_id = {shop:String})
          AND s.bucket >= {from:DateTime64(3, 'UTC')} AND s.bucket < {to:DateTime64(3, 'UTC')}
        GROUP BY t, currency
    )
)
ORDER BY t, currency
