-- insight_rfm(shop, as_of, enabled): recency, frequency and monetary value of every customer of
-- one shop (or of every shop: shop = '') per currency as of a time, quintile scores 1–5 and one of
-- 11 segments. A parameterized view: the catalog queries rfm_segments, rfm_summary and
-- customer_profile and the minutely snapshot insights.rfm (023) read it, so the scoring lives in
-- one place. Computed from the raw order lines (a shop of 1M lines: ~200 ms on an idle core).
-- enabled = 0 reads nothing (the catalog's switch between the snapshot and an explicit as_of).
--   frequency: distinct orders with a completed line before as_of; refunds do not remove orders.
--   monetary:  net revenue = completed lines − refunded lines (each at its own time) before as_of.
--   recency:   whole days from the last completed line to as_of.
-- Scores rank customers of the same shop and currency: score = 1 + floor(5 · (rank − 1) / n),
-- rank counted from the worst (oldest, fewest, least), ties sharing the lowest rank of their
-- group, so equal values always get the same score and a lone customer scores 1.
-- Segment from R and FM = round half up of (F + M) / 2, checked in this order:
--   champions R5 FM4–5 · loyal R3–4 FM4–5 · potential_loyalist R4–5 FM2–3 · new R5 FM1 ·
--   promising R4 FM1 · need_attention R3 FM3 · about_to_sleep R3 FM1–2 · cant_lose R1–2 FM5 ·
--   at_risk R1–2 FM3–4 · lost R1 FM1 · hibernating R1–2 FM1–2 (the rest).
CREATE VIEW IF NOT EXISTS insight_rfm AS
SELECT
    shop_id, currency, customer_id, last_purchase, recency_days, frequency, monetary, gross, refunds,
    r_score, f_score, m_score, intDiv(f_score + m_score + 1, 2) AS fm_score,
    multiIf(
        r_score = 5 AND fm_score >= 4, 'champions',
        r_score >= 3 AND fm_score >= 4, 'loyal',
        r_score >= 4 AND fm_score >= 2, 'potential_loyalist',
        r_score = 5, 'new',
        r_score = 4, 'promising',
        r_score = 3 AND fm_score = 3, 'need_attention',
        r_score = 3, 'about_to_sleep',
        fm_score = 5, 'cant_lose',
        fm_score >= 3, 'at_risk',
        r_score = 1 AND fm_score = 1, 'lost',
        'hibernating') AS segment,
    transform(segment,
        ['champions', 'loyal', 'potential_loyalist', 'new', 'promising', 'need_attention', 'about_to_sleep', 'cant_lose', 'at_risk', 'lost', 'hibernating'],
        ['Champions', 'Loyal Customers', 'Potential Loyalists', 'New Customers', 'Promising', 'Need Attention', 'About to Sleep', 'Can''t Lose Them', 'At Risk', 'Lost', 'Hibernating'],
        '') AS segment_name
FROM
(
    SELECT
        shop_id, currency, customer_id, last_purchase, recency_days, frequency, monetary, gross, refunds,
        toUInt8(1 + intDiv(5 * (rank() OVER (PARTITION BY shop_id, currency ORDER BY recency_days DESC) - 1), count() OVER (PARTITION BY shop_id, currency))) AS r_score,
        toUInt8(1 + intDiv(5 * (rank() OVER (PARTITION BY shop_id, currency ORDER BY frequency ASC) - 1), count() OVER (PARTITION BY shop_id, currency))) AS f_score,
        toUInt8(1 + intDiv(5 * (rank() OVER (PARTITION BY shop_id, currency ORDER BY monetary ASC) - 1), count() OVER (PARTITION BY shop_id, currency))) AS m_score
    FROM
    (
        SELECT
            shop_id,
            toString(currency) AS currency,
            customer_id,
            maxIf(ts, status = 'completed') AS last_purchase,
            toUInt32(intDiv(toUnixTimestamp64Milli({as_of:DateTime64(3, 'UTC')}) - toUnixTimestamp64Milli(last_purchase), 86400000)) AS recency_days,
            uniqExactIf(order_id, status = 'completed') AS frequency,
            -- Widen to 128 bits before multiplying, as the rollups do.
            sumIf(quantity * toDecimal128(unit_price, 4), status = 'completed') AS gross,
            sumIf(quantity * toDecimal128(unit_price, 4), status = 'refunded') AS refunds,
            gross - refunds AS monetary
        FROM orders
        WHERE {enabled:UInt8} = 1 AND ({shop:String} = '' OR shop_id = {shop:String})
          AND ts < {as_of:DateTime64(3, 'UTC')} AND status IN ('completed', 'refunded')
        GROUP BY shop_id, currency, customer_id
        HAVING frequency > 0
    )
);
