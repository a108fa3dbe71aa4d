-- @description One product of a shop per hour or day and currency: net revenue (completed lines at their time minus refunds at theirs), gross revenue, refunds, net units and orders.
-- @roles seller
-- @param shop Shop required : the shop
-- @param product_id Id required : the product
-- @param from DateTime default=-7d : range start, inclusive (hour buckets)
-- @param to DateTime default=now : range end, exclusive
-- @param interval Interval default=1h min=1h max=31d step=1h : bucket width (whole hours)
-- @cache bucket=interval open_ttl=5 closed_ttl=86400
SELECT t, currency, gross_revenue - refunds AS revenue, gross_revenue, refunds, units_sold - units_returned AS units, orders
FROM
(
    SELECT
        toStartOfInterval(p.bucket, toIntervalSecond({interval:UInt32})) AS t, toString(p.currency) AS currency,
        sumIf(p.revenue, p.status = 'completed') AS gross_revenue, sumIf(p.revenue, p.status = 'refunded') AS refunds,
        toInt64(sumIf(p.units, p.status = 'completed')) AS units_sold, toInt64(sumIf(p.units, p.status = 'refunded')) AS units_returned,
        uniqExactMergeIf(p.orders, p.status = 'completed') AS orders
    FROM product_sales_1h AS p
    WHERE p.shop_id = {shop:String} AND p.product_id = {product_id:String} AND p.status IN ('completed', 'refunded')
      AND p.bucket >= {from:DateTime64(3, 'UTC')} AND p.bucket < {to:DateTime64(3, 'UTC')}
    GROUP BY t, currency
)
ORDER BY currency, t
