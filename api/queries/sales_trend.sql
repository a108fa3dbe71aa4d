-- @description One sales metric per time bucket and currency: net revenue (gross minus refunds, docs/api.md Metrics), gross revenue, refunds, orders, net units, AOV, customers or profit; minute rollup for sub-hour intervals, hour rollup otherwise.
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param metric Enum values=revenue|gross_revenue|refunds|orders|units|aov|customers|profit default=revenue : the metric
-- @param from DateTime default=-24h : range start, inclusive
-- @param to DateTime default=now : range end, exclusive
-- @param interval Interval default=1h min=1m max=31d step=1m : bucket width (whole minutes)
-- @cache bucket=interval open_ttl=2 closed_ttl=86400 covers=range
-- The engine's planning is most of a catalog query's cost (bench/results/2026-12-05-catalog-cost.md): two levels,
-- not three. The parameters reach the engine as literals (api/history/execute.ts), so a metric's condition is a
-- constant: the uniqExact states are merged only for the metrics that need them (orders, AOV, customers).
SELECT
    t, currency,
    multiIf({metric:String} = 'orders', toString(orders), {metric:String} = 'units', toString(units),
            {metric:String} = 'customers', toString(customers), {metric:String} = 'profit', toString(gross_revenue - refunds - cost),
            {metric:String} = 'aov', toString(if(orders = 0, 0, (gross_revenue - refunds) / orders)),
            {metric:String} = 'gross_revenue', toString(gross_revenue), {metric:String} = 'refunds', toString(refunds),
            toString(gross_revenue - refunds)) AS value
FROM
(
    -- Completed lines are sales at their time, refunded lines returns at theirs; pending and cancelled never count.
    SELECT
        toStartOfInterval(s.bucket, toIntervalSecond({interval:UInt32})) AS t,
        toString(s.currency) AS currency,
        sumIf(s.revenue, s.status = 'completed') AS gross_revenue,
        sumIf(s.revenue, s.status = 'refunded') AS refunds,
        sumIf(s.cost, s.status = 'completed') - sumIf(s.cost, s.status = 'refunded') AS cost,
        toInt64(sumIf(s.units, s.status = 'completed')) - toInt64(sumIf(s.units, s.status = 'refunded')) AS units,
        uniqExactMergeIf(s.orders, s.status = 'completed' AND {metric:String} IN ('orders', 'aov')) AS orders,
        uniqExactMergeIf(s.customers, s.status = 'completed' AND {metric:String} = 'customers') AS customers
    FROM
    (
        SELECT * FROM sales_1m
        WHERE {interval:UInt32} % 3600 != 0 AND bucket >= {from:DateTime64(3, 'UTC')} AND bucket < {to:DateTime64(3, 'UTC')}
        UNION ALL
        SELECT * FROM sales_1h
        WHERE {interval:UInt32} % 3600 = 0 AND bucket >= {from:DateTime64(3, 'UTC')} AND bucket < {to:DateTime64(3, 'UTC')}
    ) AS s
    WHERE s.status IN ('completed', 'refunded')
      AND ({all_shops:UInt8} = 1 OR s.shop_id IN {shops:Array(String)})
      AND ({shop:String} = '' OR s.shop_id = {shop:String})
    GROUP BY t, currency
)
ORDER BY t, currency
