-- @description RFM segments of one shop and currency as of a time: customers, net revenue and their shares per segment, with the segments' mean recency, frequency and monetary value.
-- @roles seller
-- @param shop Shop required : the shop
-- @param as_of DateTime default=2100-01-01 : score the orders before this time; the default reads the latest snapshot (insights.rfm_summary, at most a minute old)
-- @cache bucket=60 open_ttl=30 closed_ttl=86400
SELECT
    currency, segment, segment_name, customers,
    round(customers / sum(customers) OVER (PARTITION BY currency) * 100, 2) AS customers_pct,
    revenue,
    round(toFloat64(revenue) / nullIf(toFloat64(sum(revenue) OVER (PARTITION BY currency)), 0) * 100, 2) AS revenue_pct,
    avg_recency_days, avg_frequency, avg_monetary
FROM
(
    SELECT currency, segment, segment_name, customers, revenue, avg_recency_days, avg_frequency, round(revenue / customers, 2) AS avg_monetary
    FROM insights.rfm_summary
    WHERE {as_of:DateTime64(3, 'UTC')} >= '2100-01-01' AND shop_id = {shop:String}
    UNION ALL
    SELECT
        currency, segment, any(segment_name) AS segment_name, count() AS customers, sum(monetary) AS revenue,
        round(avg(recency_days), 1) AS avg_recency_days, round(avg(frequency), 2) AS avg_frequency,
        round(revenue / customers, 2) AS avg_monetary
    FROM insight_rfm(shop = {shop:String}, as_of = {as_of:DateTime64(3, 'UTC')}, enabled = toUInt8({as_of:DateTime64(3, 'UTC')} < '2100-01-01'))
    GROUP BY currency, segment
)
ORDER BY currency, revenue DESC, segment
