-- @description Customer lifetime value per first-purchase month and currency: customers, net revenue (completed sales minus refunds, docs/api.md Metrics), gross revenue, refunds, average net revenue and orders per customer.
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param since DateTime default=-365d : earliest cohort month
-- @cache bucket=86400 open_ttl=5 closed_ttl=86400 covers=all
SELECT cohort, currency, count() AS customers, sum(customer_revenue) AS revenue,
    revenue / customers AS avg_ltv, sum(customer_orders) AS orders, round(orders / customers, 4) AS avg_orders,
    sum(customer_gross) AS gross_revenue, sum(customer_refunds) AS refunds
FROM
(
    -- Customers are grouped by their first completed purchase; their refunds (any time) come off their revenue.
    SELECT s.shop_id AS shop_id, s.customer_id AS customer_id, s.currency AS currency, s.cohort AS cohort,
        -- No refund row: the LEFT JOIN's default, 0.
        s.gross AS customer_gross, r.refunds AS customer_refunds, customer_gross - customer_refunds AS customer_revenue,
        s.orders AS customer_orders
    FROM
    (
        SELECT c.shop_id AS shop_id, c.customer_id AS customer_id, toString(c.currency) AS currency,
            toStartOfMonth(min(c.first_purchase)) AS cohort,
            sum(c.revenue) AS gross, uniqExactMerge(c.orders) AS orders
        FROM customer_stats AS c
        WHERE ({all_shops:UInt8} = 1 OR c.shop_id IN {shops:Array(String)})
          AND ({shop:String} = '' OR c.shop_id = {shop:String})
        GROUP BY shop_id, customer_id, currency
    ) AS s
    LEFT JOIN
    (
        SELECT f.shop_id AS shop_id, f.customer_id AS customer_id, toString(f.currency) AS currency, sum(f.refunds) AS refunds
        FROM customer_refunds AS f
        WHERE ({all_shops:UInt8} = 1 OR f.shop_id IN {shops:Array(String)})
          AND ({shop:String} = '' OR f.shop_id = {shop:String})
        GROUP BY shop_id, customer_id, currency
    ) AS r ON r.shop_id = s.shop_id AND r.customer_id = s.customer_id AND r.currency = s.currency
)
WHERE cohort >= toStartOfMonth({since:DateTime64(3, 'UTC')})
GROUP BY cohort, currency
ORDER BY cohort, currency
