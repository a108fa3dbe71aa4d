-- @description Best-selling products by net revenue (gross minus refunds, docs/api.md Metrics), net units or profit, per currency, with gross revenue and refunds (hour buckets).
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param by Enum values=revenue|units|profit default=revenue : ranking metric
-- @param from DateTime default=-7d : range start, inclusive (hour buckets)
-- @param to DateTime default=now : range end, exclusive
-- @param limit UInt32 default=10 min=1 max=1000 : how many per currency
-- @cache bucket=3600 open_ttl=5 closed_ttl=86400 covers=range
SELECT currency, product_id, category, revenue, units, orders, revenue - cost AS profit, gross_revenue, refunds, returned_units
FROM
(
    SELECT currency, product_id, category, gross_revenue - refunds AS revenue, units_sold - returned_units AS units, orders, cost,
        gross_revenue, refunds, returned_units
    FROM
    (
        SELECT
            toString(p.currency) AS currency, p.product_id AS product_id, any(p.category) AS category,
            sumIf(p.revenue, p.status = 'completed') AS gross_revenue, sumIf(p.revenue, p.status = 'refunded') AS refunds,
            toInt64(sumIf(p.units, p.status = 'completed')) AS units_sold, toInt64(sumIf(p.units, p.status = 'refunded')) AS returned_units,
            uniqExactMergeIf(p.orders, p.status = 'completed') AS orders,
            sumIf(p.cost, p.status = 'completed') - sumIf(p.cost, p.status = 'refunded') AS cost
        FROM product_sales_1h AS p
        WHERE p.status IN ('completed', 'refunded')
          AND ({all_shops:UInt8} = 1 OR p.shop_id IN {shops:Array(String)})
          AND ({shop:String} = '' OR p.shop_id = {shop:String})
          AND p.bucket >= {from:DateTime64(3, 'UTC')} AND p.bucket < {to:DateTime64(3, 'UTC')}
        GROUP BY currency, product_id
    )
)
ORDER BY currency, multiIf({by:String} = 'units', toDecimal128(units, 4), {by:String} = 'profit', revenue - cost, revenue) DESC, product_id
LIMIT {limit:UInt32} BY currency
