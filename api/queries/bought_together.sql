-- @description Products bought in the same completed orders as one product of a shop, ranked by lift (how much more often than chance), with support, confidence and the order counts.
-- @roles seller
-- @param shop Shop required : the shop
-- @param product_id Id required : the product
-- @param period Interval default=90d min=1d max=365d step=1d : completed orders of this long before as_of
-- @param as_of DateTime default=2100-01-01 : end of the period; the default is now, read from the latest snapshot (insights.bought_together, at most a minute old) for the 90d period
-- @param min_orders UInt32 default=2 min=1 max=1000000 : orders the two must share to be listed
-- @param limit UInt32 default=10 min=1 max=1000 : products, highest lift first
-- @cache bucket=60 open_ttl=60 closed_ttl=86400
WITH
    {as_of:DateTime64(3, 'UTC')} >= '2100-01-01' AND {period:UInt32} = 7776000 AS from_snapshot,
    if({as_of:DateTime64(3, 'UTC')} >= '2100-01-01', now64(3, 'UTC'), {as_of:DateTime64(3, 'UTC')}) AS range_to,
    lines AS (
        SELECT order_id, product_id, category FROM orders
        WHERE NOT from_snapshot AND shop_id = {shop:String} AND status = 'completed'
          AND ts >= range_to - toIntervalSecond({period:UInt32}) AND ts < range_to
    ),
    target AS (SELECT DISTINCT order_id FROM lines WHERE product_id = {product_id:String}),
    snapshot AS (SELECT product_id, other_id, other_category, orders FROM insights.bought_together WHERE from_snapshot AND shop_id = {shop:String})
SELECT product_id, category, orders_together, support, confidence, lift, product_orders, target_orders, total_orders
FROM
(
    SELECT
        p.product_id AS product_id, toString(p.category) AS category, p.orders_together AS orders_together,
        round(p.orders_together / n.total_orders, 6) AS support,
        round(p.orders_together / n.target_orders, 6) AS confidence,
        round(p.orders_together * n.total_orders / (n.target_orders * p.product_orders), 4) AS lift,
        p.product_orders AS product_orders, n.target_orders AS target_orders, n.total_orders AS total_orders
    FROM
    (
        SELECT product_id, any(category) AS category, uniqExactIf(order_id, order_id IN target) AS orders_together, uniqExact(order_id) AS product_orders
        FROM lines GROUP BY product_id
    ) AS p
    CROSS JOIN (SELECT uniqExact(order_id) AS total_orders, (SELECT count() FROM target) AS target_orders FROM lines) AS n
    UNION ALL
    SELECT
        s.other_id AS product_id, s.other_category AS category, s.orders AS orders_together,
        round(s.orders / n.total_orders, 6) AS support,
        round(s.orders / n.target_orders, 6) AS confidence,
        round(s.orders * n.total_orders / (n.target_orders * po.orders), 4) AS lift,
        po.orders AS product_orders, n.target_orders AS target_orders, n.total_orders AS total_orders
    FROM snapshot AS s
    INNER JOIN (SELECT product_id, orders FROM snapshot WHERE product_id = other_id AND product_id != '') AS po ON po.product_id = s.other_id
    CROSS JOIN
    (
        SELECT anyIf(orders, product_id = '' AND other_id = '') AS total_orders,
            anyIf(orders, product_id = {product_id:String} AND other_id = {product_id:String}) AS target_orders
        FROM snapshot
    ) AS n
    WHERE s.product_id = {product_id:String}
)
WHERE product_id != {product_id:String} AND orders_together >= {min_orders:UInt32}
ORDER BY lift DESC, orders_together DESC, product_id
LIMIT {limit:UInt32}
