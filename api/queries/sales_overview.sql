-- @description Net sales for a period and the period of equal length before it, per currency: net revenue (gross sales minus refunds, docs/api.md Metrics), gross revenue, refunds, orders, AOV, unique customers, net units and growth of each.
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param from DateTime default=-24h : period start, inclusive (minute buckets)
-- @param to DateTime default=now : period end, exclusive
-- @cache bucket=60 open_ttl=2 closed_ttl=86400 covers=range_and_previous
WITH
    toUnixTimestamp64Milli({from:DateTime64(3, 'UTC')}) AS from_ms,
    toUnixTimestamp64Milli({to:DateTime64(3, 'UTC')}) AS to_ms,
    fromUnixTimestamp64Milli(from_ms - (to_ms - from_ms), 'UTC') AS prev_from
SELECT
    currency, revenue, gross_revenue, refunds, orders, if(orders = 0, NULL, revenue / orders) AS aov, customers, units,
    prev_revenue, prev_gross_revenue, prev_refunds, prev_orders, if(prev_orders = 0, NULL, prev_revenue / prev_orders) AS prev_aov, prev_customers, prev_units,
    -- Against the magnitude of the previous figure: net revenue can be negative (a period of refunds).
    if(prev_revenue = 0, NULL, round(toFloat64(revenue - prev_revenue) / abs(toFloat64(prev_revenue)) * 100, 4)) AS revenue_growth_pct,
    if(prev_orders = 0, NULL, round((orders - prev_orders) / prev_orders * 100, 4)) AS orders_growth_pct,
    if(prev_customers = 0, NULL, round((customers - prev_customers) / prev_customers * 100, 4)) AS customers_growth_pct,
    if(prev_orders = 0 OR orders = 0 OR prev_revenue = 0, NULL,
       round((toFloat64(revenue) / orders - toFloat64(prev_revenue) / prev_orders) / abs(toFloat64(prev_revenue) / prev_orders) * 100, 4)) AS aov_growth_pct
FROM
(
    SELECT
        currency,
        gross_revenue - refunds AS revenue, gross_revenue, refunds, orders, customers, units_sold - units_returned AS units,
        prev_gross_revenue - prev_refunds AS prev_revenue, prev_gross_revenue, prev_refunds, prev_orders, prev_customers,
        prev_units_sold - prev_units_returned AS prev_units
    FROM
    (
        -- Completed lines are sales at their time, refunded lines returns at theirs; pending and cancelled never count.
        SELECT
            toString(s.currency) AS currency,
            sumIf(s.revenue, s.status = 'completed' AND s.bucket >= {from:DateTime64(3, 'UTC')}) AS gross_revenue,
            sumIf(s.revenue, s.status = 'refunded' AND s.bucket >= {from:DateTime64(3, 'UTC')}) AS refunds,
            uniqExactMergeIf(s.orders, s.status = 'completed' AND s.bucket >= {from:DateTime64(3, 'UTC')}) AS orders,
            uniqExactMergeIf(s.customers, s.status = 'completed' AND s.bucket >= {from:DateTime64(3, 'UTC')}) AS customers,
            toInt64(sumIf(s.units, s.status = 'completed' AND s.bucket >= {from:DateTime64(3, 'UTC')})) AS units_sold,
            toInt64(sumIf(s.units, s.status = 'refunded' AND s.bucket >= {from:DateTime64(3, 'UTC')})) AS units_returned,
            sumIf(s.revenue, s.status = 'completed' AND s.bucket < {from:DateTime64(3, 'UTC')}) AS prev_gross_revenue,
            sumIf(s.revenue, s.status = 'refunded' AND s.bucket < {from:DateTime64(3, 'UTC')}) AS prev_refunds,
            uniqExactMergeIf(s.orders, s.status = 'completed' AND s.bucket < {from:DateTime64(3, 'UTC')}) AS prev_orders,
            uniqExactMergeIf(s.customers, s.status = 'completed' AND s.bucket < {from:DateTime64(3, 'UTC')}) AS prev_customers,
            toInt64(sumIf(s.units, s.status = 'completed' AND s.bucket < {from:DateTime64(3, 'UTC')})) AS prev_units_sold,
            toInt64(sumIf(s.units, s.status = 'refunded' AND s.bucket < {from:DateTime64(3, 'UTC')})) AS prev_units_returned
        FROM sales_1m AS s
        WHERE s.status IN ('completed', 'refunded')
          AND ({all_shops:UInt8} = 1 OR s.shop_id IN {shops:Array(String)})
          AND ({shop:String} = '' OR s.shop_id = {shop:String})
          AND s.bucket >= prev_from AND s.bucket < {to:DateTime64(3, 'UTC')}
        GROUP BY currency
    )
)
ORDER BY currency
