-- @description One sales metric of completed orders per time bucket and currency; minute rollup for sub-hour intervals, hour rollup otherwise.
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param metric Enum values=revenue|orders|units|aov|customers|profit default=revenue : the metric
-- @param from DateTime default=-24h : range start, inclusive
-- @param to DateTime default=now : range end, exclusive
-- @param interval Interval default=1h min=1m max=31d step=1m : bucket width (whole minutes)
-- @cache bucket=interval open_ttl=2 closed_ttl=86400
SELECT
    t, currency,
    multiIf({metric:String} = 'orders', toString(orders), {metric:String} = 'units', toString(units),
            {metric:String} = 'customers', toString(customers), {metric:String} = 'profit', toString(revenue - cost),
            {metric:String} = 'aov', toString(if(orders = 0, 0, revenue / orders)), toString(revenue)) AS value
FROM
(
    SELECT
        toStartOfInterval(bucket, toIntervalSecond({interval:UInt32})) AS t,
        toString(currency) AS currency,
        sum(s.revenue) AS revenue, sum(s.cost) AS cost, sum(s.units) AS units,
        uniqExactMerge(s.orders) AS orders, uniqExactMerge(s.customers) AS customers
    FROM
    (
        SELECT * FROM sales_1m
        WHERE {interval:UInt32} % 3600 != 0 AND bucket >= {from:DateTime64(3, 'UTC')} AND bucket < {to:DateTime64(3, 'UTC')}
        UNION ALL
        SELECT * FROM sales_1h
        WHERE {interval:UInt32} % 3600 = 0 AND bucket >= {from:DateTime64(3, 'UTC')} AND bucket < {to:DateTime64(3, 'UTC')}
    ) AS s
    WHERE s.status = 'completed'
      AND ({all_shops:UInt8} = 1 OR s.shop_id IN {shops:Array(String)})
      AND ({shop:String} = '' OR s.shop_id = {shop:String})
    GROUP BY t, currency
)
ORDER BY t, currency
