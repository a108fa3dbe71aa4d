-- insight_forecast (views/022, fixed in 026) again: the same model, in linear time, with one fix.
-- The snapshot insights.forecasts forecasts every product of every shop. With 20 shops × 2,000
-- products and 28 days of history (1M order lines) its four calls took 57–69 s on 2 cores, most of it
-- in the per-product hourly one (bench/insights/forecast-cost.ts, bench/results/2026-12-05-forecast-refresh.md):
-- - Bucket sums: a lambda over the buckets that sliced the whole hourly array copied that array once
--   per bucket, 720 × 720 values per hourly series. Cutting the array every k hours (arraySplit) and
--   summing each piece adds the same values in the same order, once.
-- - The hourly arrays: the series' rows were sorted and gap-filled (ORDER BY … WITH FILL) and the
--   rollups read twice; each value now goes to its hour's place in one aggregation (groupArrayInsertAt).
--   Tried and dropped: building them as runs of zeros between values (arrayWithConstant) was 1.2× faster
--   on 1M lines but 8–20× slower on sparse histories (20k lines).
--   Both give every row of 026 to the last digit.
-- - The fix, to the day-of-week factors: net units or revenue can be negative on a day (refunds of
--   earlier sales), so a centred 7-day ratio can be negative and the weekday means could average to
--   0 or less. The factors were divided by that average: every bucket of such a series came out NaN
--   (null in JSON), or with its weekdays' signs flipped. Its factors are all 1 now, as before a week of
--   history. Every other series is unchanged.
-- 022's notes on the model stand.
CREATE OR REPLACE VIEW insight_forecast AS
WITH
    toStartOfInterval(toDateTime({as_of:DateTime64(3, 'UTC')}, 'UTC'), toIntervalSecond({step_s:UInt32})) AS cutoff,
    toStartOfDay(toDateTime({as_of:DateTime64(3, 'UTC')}, 'UTC')) AS today,
    today - toIntervalDay({history_days:UInt32}) AS history_start,
    intDiv({step_s:UInt32}, 3600) AS k,
    if({step_s:UInt32} = 86400, 8, 31) AS fitted_params,
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
    -- One row per series: its hourly values from the start of its first day with a row to the
    -- cutoff, zeros where nothing sold, each value put at its hour's place in one aggregation.
    hourly AS (
        SELECT shop_id, currency, product_id, toStartOfDay(min(hour)) AS start,
            arraySlice(
                arrayResize(groupArrayInsertAt(v, toUInt32(intDiv(toUnixTimestamp(hour) - toUnixTimestamp(history_start), 3600))),
                    toUInt32(intDiv(toUnixTimestamp(cutoff) - toUnixTimestamp(history_start), 3600)), 0.),
                toUInt32(intDiv(toUnixTimestamp(start) - toUnixTimestamp(history_start), 3600)) + 1) AS vs
        FROM series
        GROUP BY shop_id, currency, product_id
    )
SELECT shop_id, currency, product_id, t, round(fit, 4) AS forecast,
    round(least(fit, greatest(0, fit + q[1] * widen * sqrt(greatest(fit, scale_floor)))), 4) AS lower,
    round(greatest(fit, fit + q[2] * widen * sqrt(greatest(fit, scale_floor))), 4) AS upper
FROM
(
    SELECT *,
        -- Buckets: k hours each; the first nb are history (whole, before the cutoff), then the horizon.
        intDiv(n_hours, k) AS nb,
        -- Bucket b sums hours b·k to b·k + k − 1: the arrays cut every k hours, then summed chunk by chunk.
        arraySlice(arrayMap(c -> arraySum(c), arraySplit((x, i) -> i % k = 0, fits, range(length(fits)))), 1, nb + {horizon:UInt32}) AS bucket_fits,
        arraySlice(arrayMap(c -> arraySum(c), arraySplit((x, i) -> i % k = 0, vs, range(n_hours))), 1, nb) AS bucket_actuals,
        -- A tenth of the mean bucket stands in for fitted where it is near 0 (nights, slow products).
        greatest(arrayAvg(arraySlice(bucket_fits, 1, nb)) / 10, 1e-9) AS scale_floor,
        arrayReduce('quantilesExact(0.1, 0.9)',
            arrayMap((a, f) -> (a - f) / sqrt(greatest(f, scale_floor)), bucket_actuals, arraySlice(bucket_fits, 1, nb))) AS q,
        -- In-sample residuals understate the error ahead: widen by √((n + p) / (n − p)).
        sqrt((nb + fitted_params) / greatest(toInt64(nb) - fitted_params, 1)) AS widen
    FROM
    (
        SELECT *,
            -- fitted(hour i) = max(0, level(day)) · weekday factor · hour share, over the history and the horizon.
            arrayMap(i -> greatest(0, intercept + slope * (intDiv(i, 24) - n_days))
                    * factors[(first_dow - 1 + intDiv(i, 24)) % 7 + 1] * shares[i % 24 + 1],
                range(toUInt32(n_hours + {horizon:UInt32} * k))) AS fits
        FROM
        (
            SELECT *,
                arrayMap((total, dow) -> if(factors[dow] > 0, total / factors[dow], nan), totals, dows) AS ys,
                arrayFilter((d, y) -> isFinite(y), arrayMap(d -> toFloat64(d) - n_days, range(n_days)), ys) AS level_days,
                arrayFilter(y -> isFinite(y), ys) AS levels,
                arrayReduce('simpleLinearRegression', level_days, levels) AS line,
                if(n_days >= 14, line.1, 0) AS slope,
                multiIf(n_days >= 14, line.2, notEmpty(levels), arrayAvg(levels), arraySum(vs) / n_hours * 24) AS intercept,
                arraySum(vs) AS total_v,
                arrayMap(h -> if(total_v = 0, 1 / 24, arraySum(arrayFilter((v, i) -> i % 24 = h, vs, range(n_hours))) / total_v), range(24)) AS shares
            FROM
            (
                SELECT *,
                    -- Classical decomposition: each day against its centred 7-day mean (so a trend does not
                    -- leak into the weekdays), averaged per weekday and scaled to a mean of 1; 1 where unseen.
                    arrayMap(i -> if(i >= 3 AND i + 3 < n_days, totals[i + 1] / arrayAvg(arraySlice(totals, i - 2, 7)), nan), range(n_days)) AS ratios,
                    arrayMap(w -> arrayFilter((r, dw) -> dw = w AND isFinite(r), ratios, dows), range(1, 8)) AS weekday_ratios,
                    arrayMap(rs -> if(empty(rs), nan, arrayAvg(rs)), weekday_ratios) AS ratio_means,
                    arrayMap(m -> if(isFinite(m), m, 1), ratio_means) AS raw_factors,
                    -- Scaled only by a positive mean: net refunds can make it 0 or negative (then no weekday pattern).
                    if(n_days >= 7 AND arrayAvg(raw_factors) > 0, arrayMap(f -> f / arrayAvg(raw_factors), raw_factors), [1, 1, 1, 1, 1, 1, 1]) AS factors
                FROM
                (
                    SELECT *,
                        length(vs) AS n_hours,
                        toUInt32(greatest(dateDiff('day', start, today), 0)) AS n_days,
                        toDayOfWeek(start) AS first_dow,
                        arrayMap(d -> arraySum(arraySlice(vs, d * 24 + 1, 24)), range(n_days)) AS totals,
                        arrayMap(d -> (first_dow - 1 + d) % 7 + 1, range(n_days)) AS dows
                    FROM hourly
                )
            )
        )
    )
)
ARRAY JOIN
    arrayMap(j -> start + toIntervalSecond((nb + j) * {step_s:UInt32}), range({horizon:UInt32})) AS t,
    arraySlice(bucket_fits, nb + 1, {horizon:UInt32}) AS fit
WHERE isFinite(q[1]);
