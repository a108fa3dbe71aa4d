-- @description Completed sales per category and currency: revenue, units, orders (an order spanning products counts once), profit and share of revenue (hour buckets).
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param from DateTime default=-7d : range start, inclusive (hour buckets)
-- @param to DateTime default=now : range end, exclusive
-- @cache bucket=3600 open_ttl=5 closed_ttl=86400
SELECT
    currency, category, revenue, units, orders, revenue - cost AS profit,
    round(toFloat64(revenue) / nullIf(toFloat64(sum(revenue) OVER (PARTITION BY currency)), 0) * 100, 4) AS revenue_share_pct
FROM
(
    SELECT
        toString(p.currency) AS currency, p.category AS category,
        sum(p.revenue) AS revenue, sum(p.cost) AS cost, sum(p.units) AS units, uniqExactMerge(p.orders) AS orders
    FROM product_sales_1h AS p
    WHERE p.status = 'completed'
      AND ({all_shops:UInt8} = 1 OR p.shop_id IN {shops:Array(String)})
      AND ({shop:String} = '' OR p.shop_id = {shop:String})
      AND p.bucket >= {from:DateTime64(3, 'UTC')} AND p.bucket < {to:DateTime64(3, 'UTC')}
    GROUP BY currency, category
)
ORDER BY currency, revenue DESC, category
