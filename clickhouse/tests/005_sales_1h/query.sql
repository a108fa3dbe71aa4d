-- source: orders
-- sales_1h: order lines over three INSERTs (rows out of order, a late line for an old
-- hour, a third line of an order whose first two came in an earlier INSERT, lines
-- without unit_cost, cancelled and refunded lines, two currencies in one shop).

-- The rollup per hour, status and currency.
SELECT
    shop_id,
    bucket,
    status,
    currency,
    sum(revenue) AS revenue,
    sum(cost) AS cost,
    revenue - cost AS profit,
    sum(units) AS units,
    sum(lines) AS lines,
    uniqExactMerge(orders) AS orders,
    uniqExactMerge(customers) AS customers
FROM sales_1h
GROUP BY shop_id, bucket, status, currency
ORDER BY shop_id, bucket, status, currency;

-- Merges are stopped by the runner: each INSERT left its own partial rows.
SELECT count() AS stored_rows, uniqExact(shop_id, bucket, status, currency) AS groups FROM sales_1h;

-- The same numbers straight from orders.
SELECT
    shop_id,
    toStartOfHour(ts) AS bucket,
    status,
    currency,
    sum(quantity * toDecimal128(unit_price, 4)) AS revenue,
    sum(quantity * toDecimal128(ifNull(unit_cost, 0), 4)) AS cost,
    revenue - cost AS profit,
    sum(quantity) AS units,
    count() AS lines,
    uniqExact(order_id) AS orders,
    uniqExact(customer_id) AS customers
FROM orders
GROUP BY shop_id, bucket, status, currency
ORDER BY shop_id, bucket, status, currency;

-- Completed sales over the whole period: order and customer states merge across hours,
-- so an order split over INSERTs and a customer buying in several months count once.
SELECT
    shop_id,
    currency,
    sum(revenue) AS revenue,
    uniqExactMerge(orders) AS orders,
    uniqExactMerge(customers) AS customers,
    revenue / orders AS aov
FROM sales_1h
WHERE status = 'completed'
GROUP BY shop_id, currency
ORDER BY shop_id, currency;

-- Rows where the period totals differ from raw, both ways: 0.
WITH
    rollup AS
    (
        SELECT
            shop_id,
            currency,
            sum(revenue) AS revenue,
            uniqExactMerge(orders) AS orders,
            uniqExactMerge(customers) AS customers,
            revenue / orders AS aov
        FROM sales_1h
        WHERE status = 'completed'
        GROUP BY shop_id, currency
    ),
    raw AS
    (
        SELECT
            shop_id,
            currency,
            sum(quantity * toDecimal128(unit_price, 4)) AS revenue,
            uniqExact(order_id) AS orders,
            uniqExact(customer_id) AS customers,
            revenue / orders AS aov
        FROM orders
        WHERE status = 'completed'
        GROUP BY shop_id, currency
    )
SELECT count()
FROM
(
    SELECT * FROM (SELECT * FROM rollup EXCEPT SELECT * FROM raw)
    UNION ALL
    SELECT * FROM (SELECT * FROM raw EXCEPT SELECT * FROM rollup)
);

-- Rows that differ between the rollup and raw per hour, both ways: must be 0.
WITH
    rollup AS
    (
        SELECT
            shop_id,
            bucket,
            status,
            currency,
            sum(revenue) AS revenue,
            sum(cost) AS cost,
            revenue - cost AS profit,
            sum(units) AS units,
            sum(lines) AS lines,
            uniqExactMerge(orders) AS orders,
            uniqExactMerge(customers) AS customers
        FROM sales_1h
        GROUP BY shop_id, bucket, status, currency
    ),
    raw AS
    (
        SELECT
            shop_id,
            toStartOfHour(ts) AS bucket,
            status,
            currency,
            sum(quantity * toDecimal128(unit_price, 4)) AS revenue,
            sum(quantity * toDecimal128(ifNull(unit_cost, 0), 4)) AS cost,
            revenue - cost AS profit,
            sum(quantity) AS units,
            count() AS lines,
            uniqExact(order_id) AS orders,
            uniqExact(customer_id) AS customers
        FROM orders
        GROUP BY shop_id, bucket, status, currency
    )
SELECT count()
FROM
(
    SELECT * FROM (SELECT * FROM rollup EXCEPT SELECT * FROM raw)
    UNION ALL
    SELECT * FROM (SELECT * FROM raw EXCEPT SELECT * FROM rollup)
);
