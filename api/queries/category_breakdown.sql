-- @description Net sales per category and currency (gross minus refunds, docs/api.md Metrics): revenue, gross revenue, refunds, net units, orders (an order spanning products counts once), profit and share of net revenue (hour buckets).
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param from DateTime default=-7d : range start, inclusive (hour buckets)
-- @param to DateTime default=now : range end, exclusive
-- @cache bucket=3600 open_ttl=5 closed_ttl=86400 covers=range
SELECT
    currency, category, revenue, units, orders, revenue - cost AS profit, gross_revenue, refunds,
    round(toFloat64(revenue) / nullIf(toFloat64(sum(revenue) OVER (PARTITION BY currency)), 0) * 100, 4) AS revenue_share_pct
FROM
(
    SELECT currency, category, gross_revenue - refunds AS revenue, units_sold - units_returned AS units, orders, cost, gross_revenue, refunds
    FROM
    (
        SELECT
            toString(p.currency) AS currency, p.category AS category,
            sumIf(p.revenue, p.status = 'completed') AS gross_revenue, sumIf(p.revenue, p.status = 'refunded') AS refunds,
            sumIf(p.cost, p.status = 'completed') - sumIf(p.cost, p.status = 'refunded') AS cost,
            toInt64(sumIf(p.units, p.status = 'completed')) AS units_sold, toInt64(sumIf(p.units, p.status = 'refunded')) AS units_returned,
            uniqExactMergeIf(p.orders, p.status = 'completed') AS orders
        FROM product_sales_1h AS p
        WHERE p.status IN ('completed', 'refunded')
          AND ({all_shops:UInt8} = 1 OR p.shop_id IN {shops:Array(String)})
          AND ({shop:String} = '' OR p.shop_id = {shop:String})
          AND p.bucket >= {from:DateTime64(3, 'UTC')} AND p.bucket < {to:DateTime64(3, 'UTC')}
        GROUP BY currency, category
    )
)
ORDER BY currency, revenue DESC, category
