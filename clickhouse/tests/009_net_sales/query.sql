-- source: orders
-- Net sales, Shopify-style, read from the status-split rollups as the catalog reads them:
-- completed lines are gross sales at their time, refunded lines are returns at the refund's
-- time with their own amount, pending and cancelled lines never count (docs/api.md, Metrics).
-- Cases: a refund in the sale's minute (o-1/p-2), in the next minute (o-2), in the next hour
-- across the period end (o-3), of a line sold two days before the period (o-0), a partial
-- refund that arrives one INSERT before its sale (o-6), and a second currency (o-9).

-- Net per minute and currency (sales_1m): revenue = gross_revenue - refunds.
SELECT
    bucket,
    toString(currency) AS currency,
    sumIf(s.revenue, s.status = 'completed') AS gross_revenue,
    sumIf(s.revenue, s.status = 'refunded') AS refunds,
    gross_revenue - refunds AS revenue,
    sumIf(s.cost, s.status = 'completed') - sumIf(s.cost, s.status = 'refunded') AS cost,
    toInt64(sumIf(s.units, s.status = 'completed')) - toInt64(sumIf(s.units, s.status = 'refunded')) AS units,
    uniqExactMergeIf(s.orders, s.status = 'completed') AS orders,
    uniqExactMergeIf(s.customers, s.status = 'completed') AS customers
FROM sales_1m AS s
WHERE shop_id = 'shop-n' AND status IN ('completed', 'refunded')
GROUP BY bucket, currency
ORDER BY bucket, currency;

-- The period 10:00–11:00 (sales_1h): USD net 175 = 320 gross - 145 refunds; the o-3 refund
-- at 11:00:20 belongs to the next period, the o-0 refund to this one. AOV = net / orders.
SELECT
    toString(currency) AS currency,
    sumIf(s.revenue, s.status = 'completed') AS gross_revenue,
    sumIf(s.revenue, s.status = 'refunded') AS refunds,
    gross_revenue - refunds AS revenue,
    sumIf(s.cost, s.status = 'completed') - sumIf(s.cost, s.status = 'refunded') AS cost,
    revenue - cost AS profit,
    toInt64(sumIf(s.units, s.status = 'completed')) - toInt64(sumIf(s.units, s.status = 'refunded')) AS units,
    uniqExactMergeIf(s.orders, s.status = 'completed') AS orders,
    if(orders = 0, NULL, revenue / orders) AS aov
FROM sales_1h AS s
WHERE shop_id = 'shop-n' AND status IN ('completed', 'refunded')
  AND bucket >= '2025-06-01 10:00:00' AND bucket < '2025-06-01 11:00:00'
GROUP BY currency
ORDER BY currency;

-- The next period holds only the o-3 refund: negative revenue, no orders.
SELECT
    toString(currency) AS currency,
    sumIf(s.revenue, s.status = 'completed') - sumIf(s.revenue, s.status = 'refunded') AS revenue,
    uniqExactMergeIf(s.orders, s.status = 'completed') AS orders
FROM sales_1h AS s
WHERE shop_id = 'shop-n' AND status IN ('completed', 'refunded') AND bucket = '2025-06-01 11:00:00'
GROUP BY currency;

-- Net per product in the period (product_sales_1h), ranked by net revenue.
SELECT
    toString(currency) AS currency,
    product_id,
    any(category) AS category,
    sumIf(p.revenue, p.status = 'completed') AS gross_revenue,
    sumIf(p.revenue, p.status = 'refunded') AS refunds,
    gross_revenue - refunds AS revenue,
    toInt64(sumIf(p.units, p.status = 'completed')) - toInt64(sumIf(p.units, p.status = 'refunded')) AS units,
    uniqExactMergeIf(p.orders, p.status = 'completed') AS orders
FROM product_sales_1h AS p
WHERE shop_id = 'shop-n' AND status IN ('completed', 'refunded')
  AND bucket >= '2025-06-01 10:00:00' AND bucket < '2025-06-01 11:00:00'
GROUP BY currency, product_id
ORDER BY currency, revenue DESC, product_id;

-- Net per customer over all time: customer_stats (completed) minus customer_refunds.
SELECT
    s.customer_id AS customer_id,
    toString(s.currency) AS currency,
    s.revenue AS gross_revenue,
    r.refunds AS refunds,
    gross_revenue - refunds AS revenue
FROM
(
    SELECT customer_id, currency, sum(revenue) AS revenue FROM customer_stats
    WHERE shop_id = 'shop-n' GROUP BY customer_id, currency
) AS s
LEFT JOIN
(
    SELECT customer_id, currency, sum(refunds) AS refunds FROM customer_refunds
    WHERE shop_id = 'shop-n' GROUP BY customer_id, currency
) AS r ON r.customer_id = s.customer_id AND r.currency = s.currency
ORDER BY customer_id, currency;

-- Rows where the net figures from the rollups differ from the raw order lines, both ways: 0.
WITH
    minute_rollup AS
    (
        SELECT bucket, toString(currency) AS currency,
            sumIf(revenue, status = 'completed') AS gross_revenue, sumIf(revenue, status = 'refunded') AS refunds,
            sumIf(cost, status = 'completed') - sumIf(cost, status = 'refunded') AS cost,
            toInt64(sumIf(units, status = 'completed')) - toInt64(sumIf(units, status = 'refunded')) AS units,
            uniqExactMergeIf(orders, status = 'completed') AS orders, uniqExactMergeIf(customers, status = 'completed') AS customers
        FROM sales_1m WHERE status IN ('completed', 'refunded') GROUP BY bucket, currency
    ),
    minute_raw AS
    (
        SELECT toStartOfMinute(ts) AS bucket, toString(currency) AS currency,
            sumIf(quantity * toDecimal128(unit_price, 4), status = 'completed') AS gross_revenue,
            sumIf(quantity * toDecimal128(unit_price, 4), status = 'refunded') AS refunds,
            sumIf(quantity * toDecimal128(ifNull(unit_cost, 0), 4), status = 'completed')
                - sumIf(quantity * toDecimal128(ifNull(unit_cost, 0), 4), status = 'refunded') AS cost,
            toInt64(sumIf(quantity, status = 'completed')) - toInt64(sumIf(quantity, status = 'refunded')) AS units,
            uniqExactIf(order_id, status = 'completed') AS orders, uniqExactIf(customer_id, status = 'completed') AS customers
        FROM orders WHERE status IN ('completed', 'refunded') GROUP BY bucket, currency
    ),
    product_rollup AS
    (
        SELECT toString(currency) AS currency, product_id,
            sumIf(revenue, status = 'completed') - sumIf(revenue, status = 'refunded') AS revenue,
            toInt64(sumIf(units, status = 'completed')) - toInt64(sumIf(units, status = 'refunded')) AS units,
            uniqExactMergeIf(orders, status = 'completed') AS orders
        FROM product_sales_1h WHERE status IN ('completed', 'refunded') GROUP BY currency, product_id
    ),
    product_raw AS
    (
        SELECT toString(currency) AS currency, product_id,
            sumIf(quantity * toDecimal128(unit_price, 4), status = 'completed')
                - sumIf(quantity * toDecimal128(unit_price, 4), status = 'refunded') AS revenue,
            toInt64(sumIf(quantity, status = 'completed')) - toInt64(sumIf(quantity, status = 'refunded')) AS units,
            uniqExactIf(order_id, status = 'completed') AS orders
        FROM orders WHERE status IN ('completed', 'refunded') GROUP BY currency, product_id
    ),
    refunds_rollup AS
    (
        SELECT shop_id, customer_id, toString(currency) AS currency, sum(refunds) AS refunds, sum(refunded_cost) AS refunded_cost,
            sum(returned_units) AS returned_units, sum(refund_lines) AS refund_lines, max(last_refund) AS last_refund
        FROM customer_refunds GROUP BY shop_id, customer_id, currency
    ),
    refunds_raw AS
    (
        SELECT shop_id, customer_id, toString(currency) AS currency, sum(quantity * toDecimal128(unit_price, 4)) AS refunds,
            sum(quantity * toDecimal128(ifNull(unit_cost, 0), 4)) AS refunded_cost, sum(quantity) AS returned_units,
            count() AS refund_lines, max(ts) AS last_refund
        FROM orders WHERE status = 'refunded' GROUP BY shop_id, customer_id, currency
    )
SELECT count()
FROM
(
    SELECT 1 FROM (SELECT * FROM minute_rollup EXCEPT SELECT * FROM minute_raw)
    UNION ALL SELECT 1 FROM (SELECT * FROM minute_raw EXCEPT SELECT * FROM minute_rollup)
    UNION ALL SELECT 1 FROM (SELECT * FROM product_rollup EXCEPT SELECT * FROM product_raw)
    UNION ALL SELECT 1 FROM (SELECT * FROM product_raw EXCEPT SELECT * FROM product_rollup)
    UNION ALL SELECT 1 FROM (SELECT * FROM refunds_rollup EXCEPT SELECT * FROM refunds_raw)
    UNION ALL SELECT 1 FROM (SELECT * FROM refunds_raw EXCEPT SELECT * FROM refunds_rollup)
);
