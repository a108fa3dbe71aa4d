-- @description Per-product net figures (gross minus refunds, docs/api.md Metrics): revenue, gross revenue, refunds, cost, profit, margin, net and returned units, orders, average selling price and share of net revenue (hour buckets).
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param product_id Id default= : one product, or empty for all
-- @param from DateTime default=-7d : range start, inclusive (hour buckets)
-- @param to DateTime default=now : range end, exclusive
-- @cache bucket=3600 open_ttl=5 closed_ttl=86400 covers=range
SELECT *
FROM
(
    SELECT
        currency, product_id, category, revenue, gross_revenue, refunds, cost, revenue - cost AS profit,
        if(revenue = 0, NULL, round(toFloat64(revenue - cost) / toFloat64(revenue) * 100, 4)) AS margin_pct,
        units, returned_units, orders,
        -- The price it sold at: gross over units sold (a refund of an older sale would skew net / net).
        if(units_sold = 0, NULL, gross_revenue / units_sold) AS avg_unit_price,
        -- Over every product of the currency, before the product_id filter below (one product alone was 100 %).
        round(toFloat64(revenue) / nullIf(toFloat64(sum(revenue) OVER (PARTITION BY currency)), 0) * 100, 4) AS revenue_share_pct
    FROM
    (
        SELECT currency, product_id, category, gross_revenue - refunds AS revenue, gross_revenue, refunds, cost,
            units_sold - returned_units AS units, units_sold, returned_units, orders
        FROM
        (
            SELECT
                toString(p.currency) AS currency, p.product_id AS product_id, any(p.category) AS category,
                sumIf(p.revenue, p.status = 'completed') AS gross_revenue, sumIf(p.revenue, p.status = 'refunded') AS refunds,
                sumIf(p.cost, p.status = 'completed') - sumIf(p.cost, p.status = 'refunded') AS cost,
                toInt64(sumIf(p.units, p.status = 'completed')) AS units_sold, toInt64(sumIf(p.units, p.status = 'refunded')) AS returned_units,
                uniqExactMergeIf(p.orders, p.status = 'completed') AS orders
            FROM product_sales_1h AS p
            WHERE p.status IN ('completed', 'refunded')
              AND ({all_shops:UInt8} = 1 OR p.shop_id IN {shops:Array(String)})
              AND ({shop:String} = '' OR p.shop_id = {shop:String})
              AND p.bucket >= {from:DateTime64(3, 'UTC')} AND p.bucket < {to:DateTime64(3, 'UTC')}
            GROUP BY currency, product_id
        )
    )
)
WHERE {product_id:String} = '' OR product_id = {product_id:String}
ORDER BY currency, revenue DESC, product_id
