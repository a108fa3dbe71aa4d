-- @description RFM per customer of one shop and currency as of a time: recency (days since the last completed order), frequency (orders), monetary (net revenue), quintile scores 1–5 and one of 11 segments; one segment or all, highest monetary first.
-- @roles seller
-- @param shop Shop required : the shop
-- @param as_of DateTime default=2100-01-01 : score the orders before this time; the default reads the latest snapshot (insights.rfm, at most a minute old)
-- @param segment Enum values=all|champions|loyal|potential_loyalist|new|promising|need_attention|about_to_sleep|at_risk|cant_lose|hibernating|lost default=all : one segment, or all
-- @param limit UInt32 default=1000 min=1 max=100000 : customers, highest monetary value first
-- @cache bucket=60 open_ttl=30 closed_ttl=86400
SELECT
    currency, customer_id, segment, segment_name, recency_days, frequency, monetary, gross, refunds,
    r_score, f_score, m_score, fm_score, last_purchase, as_of
FROM
(
    SELECT computed_at AS as_of, currency, customer_id, segment, segment_name, recency_days, frequency, monetary, gross, refunds,
        r_score, f_score, m_score, fm_score, last_purchase
    FROM insights.rfm
    WHERE {as_of:DateTime64(3, 'UTC')} >= '2100-01-01' AND shop_id = {shop:String}
    UNION ALL
    SELECT {as_of:DateTime64(3, 'UTC')} AS as_of, currency, customer_id, segment, segment_name, recency_days, frequency, monetary, gross, refunds,
        r_score, f_score, m_score, fm_score, last_purchase
    FROM insight_rfm(shop = {shop:String}, as_of = {as_of:DateTime64(3, 'UTC')}, enabled = toUInt8({as_of:DateTime64(3, 'UTC')} < '2100-01-01'))
)
WHERE {segment:String} = 'all' OR segment = {segment:String}
ORDER BY currency, monetary DESC, customer_id
LIMIT {limit:UInt32}
