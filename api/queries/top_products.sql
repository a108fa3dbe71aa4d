-- @description Best-selling products of completed orders by revenue, units or profit, per currency (hour buckets).
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param by Enum values=revenue|units|profit default=revenue : ranking metric
-- @param from DateTime default=-7d : range start, inclusive (hour buckets)
-- @param to DateTime default=now : range end, exclusive
-- @param limit UInt32 default=10 min=1 max=1000 : how many per currency
-- @cache bucket=3600 open_ttl=5 closed_ttl=86400
SELECT currency, product_id, category, revenue, units, orders, revenue - cost AS profit
FROM
(
    SELECT
        toString(p.currency) AS currency, p.product_id AS product_id, any(p.category) AS category,
        sum(p.revenue) AS revenue, sum(p.units) AS units, uniqExactMerge(p.orders) AS orders,
        sum(p.cost) AS cost
    FROM product_sales_1h AS p
    WHERE p.status = 'completed'
      AND ({all_shops:UInt8} = 1 OR p.shop_id IN {shops:Array(String)})
      AND ({shop:String} = '' OR p.shop_id = {shop:String})
      AND p.bucket >= {from:DateTime64(3, 'UTC')} AND p.bucket < {to:DateTime64(3, 'UTC')}
    GROUP BY currency, product_id
)
ORDER BY currency, multiIf({by:String} = 'units', toDecimal128(units, 4), {by:String} = 'profit', revenue - cost, revenue) DESC, product_id
LIMIT {limit:UInt32} BY currency
