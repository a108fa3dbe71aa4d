-- source: web_events
-- funnel_1m: s-full goes view -> add_to_cart -> checkout -> purchase across two minutes;
-- s-view, s-cart and s-checkout drop off after their step; s-landing and s-late view
-- pages without a product; s-late's events and a repeat view by s-cart arrive late.

-- The rollup per minute and product.
SELECT
    shop_id,
    bucket,
    product_id,
    sum(views) AS views,
    sum(add_to_cart) AS add_to_cart,
    sum(checkout) AS checkout,
    sum(purchase) AS purchase,
    uniqExactMerge(sessions) AS sessions,
    uniqExactMerge(view_sessions) AS view_sessions,
    uniqExactMerge(add_to_cart_sessions) AS add_to_cart_sessions,
    uniqExactMerge(checkout_sessions) AS checkout_sessions,
    uniqExactMerge(purchase_sessions) AS purchase_sessions
FROM funnel_1m
GROUP BY shop_id, bucket, product_id
ORDER BY shop_id, bucket, product_id;

-- The same numbers straight from web_events.
SELECT
    shop_id,
    toStartOfMinute(ts) AS bucket,
    product_id,
    countIf(type = 'view') AS views,
    countIf(type = 'add_to_cart') AS add_to_cart,
    countIf(type = 'checkout') AS checkout,
    countIf(type = 'purchase') AS purchase,
    uniqExact(session_id) AS sessions,
    uniqExactIf(session_id, type = 'view') AS view_sessions,
    uniqExactIf(session_id, type = 'add_to_cart') AS add_to_cart_sessions,
    uniqExactIf(session_id, type = 'checkout') AS checkout_sessions,
    uniqExactIf(session_id, type = 'purchase') AS purchase_sessions
FROM web_events
GROUP BY shop_id, bucket, product_id
ORDER BY shop_id, bucket, product_id;

-- Shop funnel over all minutes and products: sessions merge across both, so a session
-- touching several products or minutes counts once per step.
SELECT
    shop_id,
    sum(views) AS views,
    sum(add_to_cart) AS add_to_cart,
    sum(checkout) AS checkout,
    sum(purchase) AS purchase,
    uniqExactMerge(sessions) AS sessions,
    uniqExactMerge(view_sessions) AS view_sessions,
    uniqExactMerge(add_to_cart_sessions) AS add_to_cart_sessions,
    uniqExactMerge(checkout_sessions) AS checkout_sessions,
    uniqExactMerge(purchase_sessions) AS purchase_sessions
FROM funnel_1m
GROUP BY shop_id
ORDER BY shop_id;

-- Rows where the shop funnel differs from raw, both ways: 0.
WITH
    rollup AS
    (
        SELECT
            shop_id,
            sum(views) AS views,
            sum(add_to_cart) AS add_to_cart,
            sum(checkout) AS checkout,
            sum(purchase) AS purchase,
            uniqExactMerge(sessions) AS sessions,
            uniqExactMerge(view_sessions) AS view_sessions,
            uniqExactMerge(add_to_cart_sessions) AS add_to_cart_sessions,
            uniqExactMerge(checkout_sessions) AS checkout_sessions,
            uniqExactMerge(purchase_sessions) AS purchase_sessions
        FROM funnel_1m
        GROUP BY shop_id
    ),
    raw AS
    (
        SELECT
            shop_id,
            countIf(type = 'view') AS views,
            countIf(type = 'add_to_cart') AS add_to_cart,
            countIf(type = 'checkout') AS checkout,
            countIf(type = 'purchase') AS purchase,
            uniqExact(session_id) AS sessions,
            uniqExactIf(session_id, type = 'view') AS view_sessions,
            uniqExactIf(session_id, type = 'add_to_cart') AS add_to_cart_sessions,
            uniqExactIf(session_id, type = 'checkout') AS checkout_sessions,
            uniqExactIf(session_id, type = 'purchase') AS purchase_sessions
        FROM web_events
        GROUP BY shop_id
    )
SELECT count()
FROM
(
    SELECT * FROM (SELECT * FROM rollup EXCEPT SELECT * FROM raw)
    UNION ALL
    SELECT * FROM (SELECT * FROM raw EXCEPT SELECT * FROM rollup)
);

-- Rows that differ between the rollup and raw per minute and product, both ways: must be 0.
WITH
    rollup AS
    (
        SELECT
            shop_id,
            bucket,
            product_id,
            sum(views) AS views,
            sum(add_to_cart) AS add_to_cart,
            sum(checkout) AS checkout,
            sum(purchase) AS purchase,
            uniqExactMerge(sessions) AS sessions,
            uniqExactMerge(view_sessions) AS view_sessions,
            uniqExactMerge(add_to_cart_sessions) AS add_to_cart_sessions,
            uniqExactMerge(checkout_sessions) AS checkout_sessions,
            uniqExactMerge(purchase_sessions) AS purchase_sessions
        FROM funnel_1m
        GROUP BY shop_id, bucket, product_id
    ),
    raw AS
    (
        SELECT
            shop_id,
            toStartOfMinute(ts) AS bucket,
            product_id,
            countIf(type = 'view') AS views,
            countIf(type = 'add_to_cart') AS add_to_cart,
            countIf(type = 'checkout') AS checkout,
            countIf(type = 'purchase') AS purchase,
            uniqExact(session_id) AS sessions,
            uniqExactIf(session_id, type = 'view') AS view_sessions,
            uniqExactIf(session_id, type = 'add_to_cart') AS add_to_cart_sessions,
            uniqExactIf(session_id, type = 'checkout') AS checkout_sessions,
            uniqExactIf(session_id, type = 'purchase') AS purchase_sessions
        FROM web_events
        GROUP BY shop_id, bucket, product_id
    )
SELECT count()
FROM
(
    SELECT * FROM (SELECT * FROM rollup EXCEPT SELECT * FROM raw)
    UNION ALL
    SELECT * FROM (SELECT * FROM raw EXCEPT SELECT * FROM rollup)
);
