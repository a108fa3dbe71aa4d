-- @description Storefront funnel per product: events per step, sessions reaching each step and step-to-step conversion by sessions ('' = events without a product).
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param product_id Id default= : one product, or empty for all
-- @param from DateTime default=-24h : range start, inclusive (minute buckets)
-- @param to DateTime default=now : range end, exclusive
-- @param limit UInt32 default=100 min=1 max=10000 : products, most viewed first
-- @cache bucket=60 open_ttl=2 closed_ttl=86400 covers=range
SELECT product_id, views, add_to_cart, checkout, purchase, sessions,
    view_sessions, add_to_cart_sessions, checkout_sessions, purchase_sessions,
    if(view_sessions = 0, NULL, round(add_to_cart_sessions / view_sessions * 100, 4)) AS cart_rate_pct,
    if(add_to_cart_sessions = 0, NULL, round(checkout_sessions / add_to_cart_sessions * 100, 4)) AS checkout_rate_pct,
    if(checkout_sessions = 0, NULL, round(purchase_sessions / checkout_sessions * 100, 4)) AS purchase_rate_pct,
    if(view_sessions = 0, NULL, round(purchase_sessions / view_sessions * 100, 4)) AS conversion_pct
FROM
(
    SELECT f.product_id AS product_id,
        sum(f.views) AS views, sum(f.add_to_cart) AS add_to_cart, sum(f.checkout) AS checkout, sum(f.purchase) AS purchase,
        uniqExactMerge(f.sessions) AS sessions,
        uniqExactMerge(f.view_sessions) AS view_sessions,
        uniqExactMerge(f.add_to_cart_sessions) AS add_to_cart_sessions,
        uniqExactMerge(f.checkout_sessions) AS checkout_sessions,
        uniqExactMerge(f.purchase_sessions) AS purchase_sessions
    FROM funnel_1m AS f
    WHERE ({all_shops:UInt8} = 1 OR f.shop_id IN {shops:Array(String)})
      AND ({shop:String} = '' OR f.shop_id = {shop:String})
      AND ({product_id:String} = '' OR f.product_id = {product_id:String})
      AND f.bucket >= {from:DateTime64(3, 'UTC')} AND f.bucket < {to:DateTime64(3, 'UTC')}
    GROUP BY product_id
)
ORDER BY views DESC, product_id
LIMIT {limit:UInt32}
