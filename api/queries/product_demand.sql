-- @description Net units forecast per product of one shop with an 80 % band (lower, upper), per hour or day from the bucket holding as_of on; one product, or the products with the most forecast units.
-- @roles seller
-- @param shop Shop required : the shop
-- @param product_id Id default= : one product, or empty for the top products
-- @param interval Enum values=1h|1d default=1d : bucket width (UTC hours or days)
-- @param horizon UInt32 default=7 min=1 max=200 : buckets, the one holding as_of first
-- @param history Interval default=28d min=1d max=365d step=1d : whole days of history the model learns from
-- @param as_of DateTime default=2100-01-01 : forecast from the bucket holding this time (an earlier time backtests); the default is now, read from the latest snapshot (insights.forecasts, at most a minute old) when history is 28d and horizon at most 48 hours or 14 days
-- @param limit UInt32 default=10 min=1 max=1000 : products, most forecast units first
-- @cache bucket=60 open_ttl=30 closed_ttl=86400
WITH
    {as_of:DateTime64(3, 'UTC')} >= '2100-01-01' AND {history:UInt32} = 2419200
        AND {horizon:UInt32} <= if({interval:String} = '1h', 48, 14) AS from_snapshot,
    if({interval:String} = '1h', 3600, 86400) AS step
SELECT t, currency, product_id, forecast, lower, upper
FROM
(
    SELECT t, currency, product_id, forecast, lower, upper,
        dense_rank() OVER (PARTITION BY currency ORDER BY product_total DESC, product_id) AS product_rank
    FROM
    (
        SELECT t, currency, product_id, forecast, lower, upper,
            sum(forecast) OVER (PARTITION BY currency, product_id) AS product_total
        FROM
        (
            SELECT t, currency, product_id, forecast, lower, upper FROM insights.forecasts
            WHERE from_snapshot AND shop_id = {shop:String} AND metric = 'units' AND step_s = step
              AND ({product_id:String} = '' OR product_id = {product_id:String})
              AND t >= toStartOfInterval(now('UTC'), toIntervalSecond(step))
            ORDER BY currency, product_id, t
            LIMIT {horizon:UInt32} BY currency, product_id
            UNION ALL
            SELECT t, currency, product_id, forecast, lower, upper
            FROM insight_forecast(
                shop = {shop:String}, metric = 'units', product = {product_id:String},
                step_s = if({interval:String} = '1h', 3600, 86400), horizon = {horizon:UInt32},
                history_days = intDiv({history:UInt32}, 86400),
                as_of = if({as_of:DateTime64(3, 'UTC')} >= '2100-01-01', now64(3, 'UTC'), {as_of:DateTime64(3, 'UTC')}),
                enabled = toUInt8(NOT ({as_of:DateTime64(3, 'UTC')} >= '2100-01-01' AND {history:UInt32} = 2419200
                    AND {horizon:UInt32} <= if({interval:String} = '1h', 48, 14))))
        )
    )
)
WHERE product_rank <= {limit:UInt32}
ORDER BY currency, product_rank, t
