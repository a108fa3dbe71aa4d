-- insight_forecast(shop, metric, product, step_s, horizon, history_days, as_of, enabled): forecasts
-- with an 80 % band from the hour rollups, per shop and currency (metric 'revenue': net revenue,
-- product_id '') or per shop, currency and product (metric 'units': net units of one product, or
-- of every product when product = ''), of one shop or of every shop (shop = ''). A parameterized
-- view read by revenue_forecast, product_demand and the minutely snapshot insights.forecasts
-- (023); enabled = 0 reads nothing.
--
-- The first forecast bucket is the one holding as_of (step_s 3600: hours, 86400: UTC days);
-- history is the history_days whole days before it plus that day's hours up to it, from the
-- start of the series' first day with a row (zeros after that count: a quiet day is data). The model is
-- multiplicative, each part from the history:
--   level(day) = intercept + slope · day, a least-squares line (simpleLinearRegression) through
--                the whole days' totals divided by their day-of-week factor, once there are 14
--                whole days; their mean before that.
--   dow factor = mean of that weekday's whole days over their centred 7-day mean, the seven
--                scaled to average 1 (1 for a weekday not seen, all 1 before a week of history).
--   hour share = the hour of day's part of all history (1/24 each when the history sums to 0).
-- fitted(hour) = max(0, level) · dow factor · hour share, summed per bucket. The band: in-sample
-- residuals per bucket scaled like counts, e = (actual − fitted) / √fitted, their exact 10th and
-- 90th percentiles widened by √((n + p) / (n − p)) (n history buckets, p fitted parameters: in-sample
-- residuals understate the error ahead): lower = fitted + q10 · √fitted (≥ 0), upper = fitted + q90 · √fitted.
CREATE VIEW IF NOT EXISTS insight_forecast AS
WITH
    toStartOfInterval(toDateTime({as_of:DateTime64(3, 'UTC')}, 'UTC'), toIntervalSecond({step_s:UInt32})) AS cutoff,
    toStartOfDay(toDateTime({as_of:DateTime64(3, 'UTC')}, 'UTC')) AS today,
    today - toIntervalDay({history_days:UInt32}) AS history_start,
    series AS (
        SELECT shop_id, toString(currency) AS currency, '' AS product_id, bucket AS hour,
            toFloat64(sumIf(revenue, status = 'completed') - sumIf(revenue, status = 'refunded')) AS v
        FROM sales_1h
        WHERE {enabled:UInt8} = 1 AND {metric:String} = 'revenue' AND ({shop:String} = '' OR shop_id = {shop:String})
          AND status IN ('completed', 'refunded') AND bucket >= history_start AND bucket < cutoff
        GROUP BY shop_id, currency, hour
        UNION ALL
        SELECT shop_id, toString(currency) AS currency, product_id, bucket AS hour,
            toFloat64(toInt64(sumIf(units, status = 'completed')) - toInt64(sumIf(units, status = 'refunded'))) AS v
        FROM product_sales_1h
        WHERE {enabled:UInt8} = 1 AND {metric:String} = 'units' AND ({shop:String} = '' OR shop_id = {shop:String})
          AND status IN ('completed', 'refunded')
          AND ({product:String} = '' OR product_id = {product:String})
          AND bucket >= history_start AND bucket < cutoff
        GROUP BY shop_id, currency, product_id, hour
    ),
    -- Every hour from the start of the series' first day with a row to the cutoff, zeros where nothing sold.
    dense AS (
        SELECT shop_id, currency, product_id, hour, v
        FROM
        (
            SELECT shop_id, currency, product_id, hour, v FROM series
            UNION ALL
            SELECT shop_id, currency, product_id, toStartOfDay(first) AS hour, 0 AS v
            FROM (SELECT shop_id, currency, product_id, min(hour) AS first FROM series GROUP BY shop_id, currency, product_id)
            WHERE toStartOfDay(first) != first
        )
        ORDER BY shop_id, currency, product_id, hour WITH FILL TO cutoff STEP toIntervalHour(1)
    ),
    days AS (
        SELECT shop_id, currency, product_id, toStartOfDay(hour) AS day, toDayOfWeek(day) AS dow, sum(v) AS total
        FROM dense WHERE hour < today
        GROUP BY shop_id, currency, product_id, day
        HAVING count() = 24
    ),
    model AS (
        SELECT d.shop_id AS shop_id, d.currency AS currency, d.product_id AS product_id, d.n_days AS n_days, d.dow_factor AS dow_factor,
            if(d.n_days >= 14, d.line.1, 0) AS slope,
            multiIf(d.n_days >= 14, d.line.2, d.n_days > 0, d.mean_level, h.per_hour * 24) AS intercept,
            h.share AS hour_share
        FROM
        (
            SELECT shop_id, currency, product_id, count() AS n_days, factors AS dow_factor,
                avg(total / factors[dow]) AS mean_level,
                simpleLinearRegression(toFloat64(dateDiff('day', today, day)), total / factors[dow]) AS line
            FROM days
            INNER JOIN
            (
                -- Classical decomposition: each day against its centred 7-day mean (so a trend does not
                -- leak into the weekdays), averaged per weekday and scaled to a mean of 1; 1 where unseen.
                SELECT shop_id, currency, product_id, arrayMap(f -> f / arrayAvg(raw), raw) AS factors
                FROM (
                    SELECT shop_id, currency, product_id, arrayMap(w -> if(has(weekdays, w), ratios[indexOf(weekdays, w)], 1), range(1, 8)) AS raw
                    FROM (
                        SELECT shop_id, currency, product_id, groupArray(dow) AS weekdays, groupArray(ratio) AS ratios
                        FROM (
                            SELECT shop_id, currency, product_id, dow, avg(total / centred) AS ratio
                            FROM (
                                SELECT shop_id, currency, product_id, dow, total,
                                    avg(total) OVER w AS centred, count() OVER w AS width
                                FROM days
                                WINDOW w AS (PARTITION BY shop_id, currency, product_id ORDER BY day ROWS BETWEEN 3 PRECEDING AND 3 FOLLOWING))
                            WHERE width = 7 AND centred > 0
                            GROUP BY shop_id, currency, product_id, dow)
                        GROUP BY shop_id, currency, product_id))
                UNION ALL
                -- Series without a whole week: no weekday factors.
                SELECT shop_id, currency, product_id, [1, 1, 1, 1, 1, 1, 1] AS factors FROM days
                GROUP BY shop_id, currency, product_id HAVING count() < 7
            ) AS f USING (shop_id, currency, product_id)
            GROUP BY shop_id, currency, product_id, factors
        ) AS d
        RIGHT JOIN
        (
            SELECT shop_id, currency, product_id, per_hour,
                arrayMap(i -> if(total = 0, 1 / 24, arraySum(arrayFilter((x, hh) -> hh = i, sums, hods)) / total), range(24)) AS share
            FROM (
                SELECT shop_id, currency, product_id, groupArray(hod) AS hods, groupArray(s) AS sums, sum(s) AS total, total / sum(n) AS per_hour
                FROM (SELECT shop_id, currency, product_id, toHour(hour) AS hod, sum(v) AS s, count() AS n FROM dense GROUP BY shop_id, currency, product_id, hod)
                GROUP BY shop_id, currency, product_id)
        ) AS h USING (shop_id, currency, product_id)
    ),
    -- fitted(hour) for the history and the horizon: one row per hour.
    fitted AS (
        SELECT m.shop_id AS shop_id, m.currency AS currency, m.product_id AS product_id, hour,
            toStartOfInterval(hour, toIntervalSecond({step_s:UInt32})) AS t,
            greatest(0, m.intercept + m.slope * dateDiff('day', today, toStartOfDay(hour)))
                * if(empty(m.dow_factor), 1, m.dow_factor[toDayOfWeek(hour)]) * m.hour_share[toHour(hour) + 1] AS f
        FROM model AS m
        ARRAY JOIN arrayMap(n -> history_start + toIntervalHour(n),
            range(toUInt32(dateDiff('hour', history_start, cutoff) + {horizon:UInt32} * intDiv({step_s:UInt32}, 3600)))) AS hour
    ),
    buckets AS (
        SELECT shop_id, currency, product_id, t, sum(fit) AS fit, sum(actual) AS actual, sum(is_fit) AS hours, sum(is_actual) AS seen
        FROM
        (
            SELECT shop_id, currency, product_id, t, f AS fit, 0 AS actual, 1 AS is_fit, 0 AS is_actual FROM fitted
            UNION ALL
            SELECT shop_id, currency, product_id, toStartOfInterval(hour, toIntervalSecond({step_s:UInt32})) AS t, 0 AS fit, v AS actual, 0 AS is_fit, 1 AS is_actual FROM dense
        )
        GROUP BY shop_id, currency, product_id, t
    ),
    -- Band quantiles per series over its history buckets (whole ones), as window aggregates so the buckets are computed once.
    scored AS (
        SELECT shop_id, currency, product_id, t, fit, scale_floor,
            quantilesExactIf(0.1, 0.9)((actual - fit) / sqrt(greatest(fit, scale_floor)), history) OVER (PARTITION BY shop_id, currency, product_id) AS raw_q,
            -- In-sample residuals understate the error ahead: widen by √((n + p) / (n − p)) for n buckets
            -- and p fitted parameters (level, trend, 6 weekday factors, and 23 hour shares for hours).
            countIf(history) OVER (PARTITION BY shop_id, currency, product_id) AS n,
            sqrt((n + if({step_s:UInt32} = 86400, 8, 31)) / greatest(toInt64(n) - if({step_s:UInt32} = 86400, 8, 31), 1)) AS widen,
            arrayMap(x -> x * widen, raw_q) AS q
        FROM (
            SELECT shop_id, currency, product_id, t, fit, actual, history,
                -- A tenth of the mean bucket stands in for fitted where it is near 0 (nights, slow products).
                greatest(avgIf(fit, history) OVER (PARTITION BY shop_id, currency, product_id) / 10, 1e-9) AS scale_floor
            FROM (SELECT *, t < cutoff AND seen = hours AS history FROM buckets)
        )
    )
SELECT
    shop_id, currency, product_id, t,
    round(fit, 4) AS forecast,
    round(least(fit, greatest(0, fit + q[1] * sqrt(greatest(fit, scale_floor)))), 4) AS lower,
    round(greatest(fit, fit + q[2] * sqrt(greatest(fit, scale_floor))), 4) AS upper
FROM scored
WHERE t >= cutoff AND t < cutoff + toIntervalSecond({horizon:UInt32} * {step_s:UInt32}) AND isFinite(q[1]);
