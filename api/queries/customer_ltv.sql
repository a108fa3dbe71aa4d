-- @description Customer lifetime value per first-purchase month and currency: customers, revenue, average revenue and orders per customer (completed orders).
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param since DateTime default=-365d : earliest cohort month
-- @cache bucket=86400 open_ttl=30 closed_ttl=86400
SELECT cohort, currency, count() AS customers, sum(customer_revenue) AS revenue,
    revenue / customers AS avg_ltv, sum(customer_orders) AS orders, round(orders / customers, 4) AS avg_orders
FROM
(
    SELECT c.shop_id, c.customer_id, toString(c.currency) AS currency,
        toStartOfMonth(min(c.first_purchase)) AS cohort,
        sum(c.revenue) AS customer_revenue, uniqExactMerge(c.orders) AS customer_orders
    FROM customer_stats AS c
    WHERE ({all_shops:UInt8} = 1 OR c.shop_id IN {shops:Array(String)})
      AND ({shop:String} = '' OR c.shop_id = {shop:String})
    GROUP BY c.shop_id, c.customer_id, currency
)
WHERE cohort >= toStartOfMonth({since:DateTime64(3, 'UTC')})
GROUP BY cohort, currency
ORDER BY cohort, currency
