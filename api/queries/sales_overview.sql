-- @description Completed sales for a period and the period of equal length before it, per currency: revenue, orders, AOV, unique customers, units and growth of each.
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param from DateTime default=-24h : period start, inclusive (minute buckets)
-- @param to DateTime default=now : period end, exclusive
-- @cache bucket=60 open_ttl=2 closed_ttl=86400
WITH
    toUnixTimestamp64Milli({from:DateTime64(3, 'UTC')}) AS from_ms,
    toUnixTimestamp64Milli({to:DateTime64(3, 'UTC')}) AS to_ms,
    fromUnixTimestamp64Milli(from_ms - (to_ms - from_ms), 'UTC') AS prev_from
SELECT
    currency, revenue, orders, if(orders = 0, NULL, revenue / orders) AS aov, customers, units,
    prev_revenue, prev_orders, if(prev_orders = 0, NULL, prev_revenue / prev_orders) AS prev_aov, prev_customers, prev_units,
    if(prev_revenue = 0, NULL, round(toFloat64(revenue - prev_revenue) / toFloat64(prev_revenue) * 100, 4)) AS revenue_growth_pct,
    if(prev_orders = 0, NULL, round((orders - prev_orders) / prev_orders * 100, 4)) AS orders_growth_pct,
    if(prev_customers = 0, NULL, round((customers - prev_customers) / prev_customers * 100, 4)) AS customers_growth_pct,
    if(prev_orders = 0 OR orders = 0 OR prev_revenue = 0, NULL,
       round((toFloat64(revenue) / orders - toFloat64(prev_revenue) / prev_orders) / (toFloat64(prev_revenue) / prev_orders) * 100, 4)) AS aov_growth_pct
FROM
(
    SELECT
        toString(currency) AS currency,
        sumIf(s.revenue, s.bucket >= {from:DateTime64(3, 'UTC')}) AS revenue,
        uniqExactMergeIf(s.orders, s.bucket >= {from:DateTime64(3, 'UTC')}) AS orders,
        uniqExactMergeIf(s.customers, s.bucket >= {from:DateTime64(3, 'UTC')}) AS customers,
        sumIf(s.units, s.bucket >= {from:DateTime64(3, 'UTC')}) AS units,
        sumIf(s.revenue, s.bucket < {from:DateTime64(3, 'UTC')}) AS prev_revenue,
        uniqExactMergeIf(s.orders, s.bucket < {from:DateTime64(3, 'UTC')}) AS prev_orders,
        uniqExactMergeIf(s.customers, s.bucket < {from:DateTime64(3, 'UTC')}) AS prev_customers,
        sumIf(s.units, s.bucket < {from:DateTime64(3, 'UTC')}) AS prev_units
    FROM sales_1m AS s
    WHERE s.status = 'completed'
      AND ({all_shops:UInt8} = 1 OR s.shop_id IN {shops:Array(String)})
      AND ({shop:String} = '' OR s.shop_id = {shop:String})
      AND s.bucket >= prev_from AND s.bucket < {to:DateTime64(3, 'UTC')}
    GROUP BY currency
)
ORDER BY currency
