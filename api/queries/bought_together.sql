-- @description Products bought in the same completed orders as one product of a shop, ranked by lift (how much more often than chance), with support, confidence and the order counts.
-- @roles seller
-- @param shop Shop required : the shop
-- @param product_id Id required : the product
-- @param from DateTime default=-90d : orders from, inclusive
-- @param to DateTime default=now : orders to, exclusive
-- @param min_orders UInt32 default=2 min=1 max=1000000 : orders the two must share to be listed
-- @param limit UInt32 default=10 min=1 max=1000 : products, highest lift first
-- @cache bucket=3600 open_ttl=300 closed_ttl=86400
WITH
    lines AS (
        SELECT order_id, product_id, category FROM orders
        WHERE shop_id = {shop:String} AND status = 'completed'
          AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}
    ),
    target AS (SELECT DISTINCT order_id FROM lines WHERE product_id = {product_id:String})
SELECT
    p.product_id AS product_id, p.category AS category, p.orders_together AS orders_together,
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
WHERE p.product_id != {product_id:String} AND p.orders_together >= {min_orders:UInt32}
ORDER BY lift DESC, orders_together DESC, product_id
LIMIT {limit:UInt32}
