-- @description Net sales for a period and the period of equal length before it, per currency: net revenue (gross sales minus refunds, docs/api.md Metrics), gross revenue, refunds, orders, AOV, unique customers, net units and growth of each.
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param from DateTime default=-24h : period start, inclusive (minute buckets)
-- @param to DateTime default=now : period end, exclusive
-- @cache bucket=60 open_ttl=2 closed_ttl=86400 covers=range_and_previous
-- One pass over the rollup grouped by currency and period (cur: the period asked for, else the one before),
-- then one level that pivots the periods and derives AOV and growth. The engine's planning is most of this
-- query's cost (bench/results/2026-12-05-catalog-cost.md), so the SQL is shaped for it: two levels, not three,
-- and x / nullIf(y, 0) rather than if(y = 0, NULL, x / y) (same values and types, fewer nodes to analyse).
-- Half the conditional aggregates of one query per period: about 20 % less than twelve -If aggregates at once.
SELECT
    currency, gross_revenue - refunds AS revenue, sumIf(g, cur) AS gross_revenue, sumIf(r, cur) AS refunds, sumIf(o, cur) AS orders,
    revenue / nullIf(orders, 0) AS aov, sumIf(c, cur) AS customers, sumIf(u, cur) AS units,
    prev_gross_revenue - prev_refunds AS prev_revenue, sumIf(g, NOT cur) AS prev_gross_revenue, sumIf(r, NOT cur) AS prev_refunds, sumIf(o, NOT cur) AS prev_orders,
    prev_revenue / nullIf(prev_orders, 0) AS prev_aov, sumIf(c, NOT cur) AS prev_customers, sumIf(u, NOT cur) AS prev_units,
    -- Against the magnitude of the previous figure: net revenue can be negative (a period of refunds).
    round(toFloat64(revenue - prev_revenue) / abs(toFloat64(nullIf(prev_revenue, 0))) * 100, 4) AS revenue_growth_pct,
    round((orders - prev_orders) / nullIf(prev_orders, 0) * 100, 4) AS orders_growth_pct,
    round((customers - prev_customers) / nullIf(prev_customers, 0) * 100, 4) AS customers_growth_pct,
    round((toFloat64(revenue) / nullIf(orders, 0) - toFloat64(prev_revenue) / prev_orders) / abs(toFloat64(nullIf(prev_revenue, 0)) / nullIf(prev_orders, 0)) * 100, 4) AS aov_growth_pct
FROM
(
    -- Completed lines are sales at their time, refunded lines returns at theirs; pending and cancelled never count.
    SELECT
        toString(s.currency) AS currency, s.bucket >= {from:DateTime64(3, 'UTC')} AS cur,
        sumIf(s.revenue, s.status = 'completed') AS g,
        sumIf(s.revenue, s.status = 'refunded') AS r,
        uniqExactMergeIf(s.orders, s.status = 'completed') AS o,
        uniqExactMergeIf(s.customers, s.status = 'completed') AS c,
        toInt64(sumIf(s.units, s.status = 'completed')) - toInt64(sumIf(s.units, s.status = 'refunded')) AS u
    FROM sales_1m AS s
    WHERE s.status IN ('completed', 'refunded')
      AND ({all_shops:UInt8} = 1 OR s.shop_id IN {shops:Array(String)})
      AND ({shop:String} = '' OR s.shop_id = {shop:String})
      -- From the previous period's start (from − (to − from)) to the end of this one.
      AND s.bucket >= fromUnixTimestamp64Milli(2 * toUnixTimestamp64Milli({from:DateTime64(3, 'UTC')}) - toUnixTimestamp64Milli({to:DateTime64(3, 'UTC')}), 'UTC')
      AND s.bucket < {to:DateTime64(3, 'UTC')}
    GROUP BY currency, cur
)
GROUP BY currency
ORDER BY currency
