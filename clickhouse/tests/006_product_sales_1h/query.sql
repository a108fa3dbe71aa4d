-- source: orders
-- product_sales_1h: the order lines of the sales tests (three INSERTs, late and out-of-order
-- lines, cancelled and refunded lines). Order o-1001 has socks lines for two products
-- (p-2, p-4) arriving in different INSERTs: the socks category must count it once.

-- The rollup per product.
SELECT
    shop_id,
    bucket,
    category,
    product_id,
    status,
    currency,
    sum(revenue) AS revenue,
    sum(cost) AS cost,
    sum(units) AS units,
    sum(lines) AS lines,
    uniqExactMerge(orders) AS orders
FROM product_sales_1h
GROUP BY shop_id, bucket, category, product_id, status, currency
ORDER BY shop_id, bucket, category, product_id, status, currency;

-- The same numbers straight from orders.
SELECT
    shop_id,
    toStartOfHour(ts) AS bucket,
    category,
    product_id,
    status,
    currency,
    sum(quantity * toDecimal128(unit_price, 4)) AS revenue,
    sum(quantity * toDecimal128(ifNull(unit_cost, 0), 4)) AS cost,
    sum(quantity) AS units,
    count() AS lines,
    uniqExact(order_id) AS orders
FROM orders
GROUP BY shop_id, bucket, category, product_id, status, currency
ORDER BY shop_id, bucket, category, product_id, status, currency;

-- Categories, merged from the product rows: orders are distinct orders, not a sum over products.
SELECT
    shop_id,
    bucket,
    category,
    status,
    currency,
    sum(revenue) AS revenue,
    sum(units) AS units,
    sum(lines) AS lines,
    uniqExactMerge(orders) AS orders
FROM product_sales_1h
GROUP BY shop_id, bucket, category, status, currency
ORDER BY shop_id, bucket, category, status, currency;

-- Rows where the category breakdown differs from raw, both ways: 0.
WITH
    rollup AS
    (
        SELECT
            shop_id,
            bucket,
            category,
            status,
            currency,
            sum(revenue) AS revenue,
            sum(units) AS units,
            sum(lines) AS lines,
            uniqExactMerge(orders) AS orders
        FROM product_sales_1h
        GROUP BY shop_id, bucket, category, status, currency
    ),
    raw AS
    (
        SELECT
            shop_id,
            toStartOfHour(ts) AS bucket,
            category,
            status,
            currency,
            sum(quantity * toDecimal128(unit_price, 4)) AS revenue,
            sum(quantity) AS units,
            count() AS lines,
            uniqExact(order_id) AS orders
        FROM orders
        GROUP BY shop_id, bucket, category, status, currency
    )
SELECT count()
FROM
(
    SELECT * FROM (SELECT * FROM rollup EXCEPT SELECT * FROM raw)
    UNION ALL
    SELECT * FROM (SELECT * FROM raw EXCEPT SELECT * FROM rollup)
);

-- Rows that differ between the rollup and raw per product, both ways: must be 0.
WITH
    rollup AS
    (
        SELECT
            shop_id,
            bucket,
            category,
            product_id,
            status,
            currency,
            sum(revenue) AS revenue,
            sum(cost) AS cost,
            sum(units) AS units,
            sum(lines) AS lines,
            uniqExactMerge(orders) AS orders
        FROM product_sales_1h
        GROUP BY shop_id, bucket, category, product_id, status, currency
    ),
    raw AS
    (
        SELECT
            shop_id,
            toStartOfHour(ts) AS bucket,
            category,
            product_id,
            status,
            currency,
            sum(quantity * toDecimal128(unit_price, 4)) AS revenue,
            sum(quantity * toDecimal128(ifNull(unit_cost, 0), 4)) AS cost,
            sum(quantity) AS units,
            count() AS lines,
            uniqExact(order_id) AS orders
        FROM orders
        GROUP BY shop_id, bucket, category, product_id, status, currency
    )
SELECT count()
FROM
(
    SELECT * FROM (SELECT * FROM rollup EXCEPT SELECT * FROM raw)
    UNION ALL
    SELECT * FROM (SELECT * FROM raw EXCEPT SELECT * FROM rollup)
);
