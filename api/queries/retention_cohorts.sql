-- @description Retention by first-purchase month (UTC): customers of each cohort active (completed purchase) N months later.
-- @roles seller
-- @param shop Shop default= : one shop, or empty for every entitled shop
-- @param since DateTime default=-365d : earliest cohort month
-- @cache bucket=86400 open_ttl=5 closed_ttl=86400 covers=all
SELECT cohort, month_offset, customers, cohort_size, round(customers / cohort_size * 100, 4) AS retention_pct
FROM
(
    SELECT cohort, dateDiff('month', cohort, month) AS month_offset, count() AS customers,
        max(size) AS cohort_size
    FROM
    (
        SELECT cohort, arrayJoin(months) AS month, count() OVER (PARTITION BY cohort) AS size
        FROM
        (
            SELECT c.shop_id, c.customer_id,
                toStartOfMonth(min(c.first_purchase)) AS cohort,
                groupUniqArrayArray(c.active_months) AS months
            FROM customer_stats AS c
            WHERE ({all_shops:UInt8} = 1 OR c.shop_id IN {shops:Array(String)})
              AND ({shop:String} = '' OR c.shop_id = {shop:String})
            GROUP BY c.shop_id, c.customer_id
        )
        WHERE cohort >= toStartOfMonth({since:DateTime64(3, 'UTC')})
    )
    GROUP BY cohort, month_offset
)
ORDER BY cohort, month_offset
