-- source: orders
-- customer_stats: completed lines only. c-1 returns in February, c-2 on the first
-- millisecond of March, c-5's January order arrives late (after their February one),
-- c-6 buys on both sides of the January/February boundary; cancelled, pending and
-- refunded lines must not count; c-1 in shop-2 is a different customer row.

-- The rollup per customer.
SELECT
    shop_id,
    customer_id,
    currency,
    min(first_purchase) AS first_purchase,
    max(last_purchase) AS last_purchase,
    uniqExactMerge(orders) AS orders,
    sum(revenue) AS revenue,
    sum(units) AS units,
    arraySort(groupUniqArrayArray(active_months)) AS active_months
FROM customer_stats
GROUP BY shop_id, customer_id, currency
ORDER BY shop_id, customer_id, currency;

-- The same numbers straight from completed order lines.
SELECT
    shop_id,
    customer_id,
    currency,
    min(ts) AS first_purchase,
    max(ts) AS last_purchase,
    uniqExact(order_id) AS orders,
    sum(quantity * toDecimal128(unit_price, 4)) AS revenue,
    sum(quantity) AS units,
    arraySort(groupUniqArray(toStartOfMonth(ts))) AS active_months
FROM orders
WHERE status = 'completed'
GROUP BY shop_id, customer_id, currency
ORDER BY shop_id, customer_id, currency;

-- Monthly cohorts: customers by month of first purchase, and how many bought in each month.
SELECT
    shop_id,
    toStartOfMonth(first_purchase) AS cohort,
    month,
    count() AS customers
FROM
(
    SELECT shop_id, customer_id, min(first_purchase) AS first_purchase, groupUniqArrayArray(active_months) AS months
    FROM customer_stats
    GROUP BY shop_id, customer_id
)
ARRAY JOIN months AS month
GROUP BY shop_id, cohort, month
ORDER BY shop_id, cohort, month;

-- Rows where the cohorts differ from raw, both ways: 0.
WITH
    rollup AS
    (
        SELECT
            shop_id,
            toStartOfMonth(first_purchase) AS cohort,
            month,
            count() AS customers
        FROM
        (
            SELECT shop_id, customer_id, min(first_purchase) AS first_purchase, groupUniqArrayArray(active_months) AS months
            FROM customer_stats
            GROUP BY shop_id, customer_id
        )
        ARRAY JOIN months AS month
        GROUP BY shop_id, cohort, month
    ),
    raw AS
    (
        SELECT
            shop_id,
            toStartOfMonth(first_purchase) AS cohort,
            month,
            count() AS customers
        FROM
        (
            SELECT shop_id, customer_id, min(ts) AS first_purchase, groupUniqArray(toStartOfMonth(ts)) AS months
            FROM orders
            WHERE status = 'completed'
            GROUP BY shop_id, customer_id
        )
        ARRAY JOIN months AS month
        GROUP BY shop_id, cohort, month
    )
SELECT count()
FROM
(
    SELECT * FROM (SELECT * FROM rollup EXCEPT SELECT * FROM raw)
    UNION ALL
    SELECT * FROM (SELECT * FROM raw EXCEPT SELECT * FROM rollup)
);

-- Rows that differ between the rollup and raw per customer, both ways: must be 0.
WITH
    rollup AS
    (
        SELECT
            shop_id,
            customer_id,
            currency,
            min(first_purchase) AS first_purchase,
            max(last_purchase) AS last_purchase,
            uniqExactMerge(orders) AS orders,
            sum(revenue) AS revenue,
            sum(units) AS units,
            arraySort(groupUniqArrayArray(active_months)) AS active_months
        FROM customer_stats
        GROUP BY shop_id, customer_id, currency
    ),
    raw AS
    (
        SELECT
            shop_id,
            customer_id,
            currency,
            min(ts) AS first_purchase,
            max(ts) AS last_purchase,
            uniqExact(order_id) AS orders,
            sum(quantity * toDecimal128(unit_price, 4)) AS revenue,
            sum(quantity) AS units,
            arraySort(groupUniqArray(toStartOfMonth(ts))) AS active_months
        FROM orders
        WHERE status = 'completed'
        GROUP BY shop_id, customer_id, currency
    )
SELECT count()
FROM
(
    SELECT * FROM (SELECT * FROM rollup EXCEPT SELECT * FROM raw)
    UNION ALL
    SELECT * FROM (SELECT * FROM raw EXCEPT SELECT * FROM rollup)
);
