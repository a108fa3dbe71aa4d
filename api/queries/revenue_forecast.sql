-- @description Net revenue forecast of one shop per currency with an 80 % band (lower, upper), per hour or day from the bucket holding as_of on: day-of-week and hour-of-day seasonality and a linear trend fitted to the hour rollup.
-- @roles seller
-- @param shop Shop required : the shop
-- @param interval Enum values=1h|1d default=1h : bucket width (UTC hours or days)
-- @param horizon UInt32 default=24 min=1 max=400 : buckets, the one holding as_of first
-- @param history Interval default=28d min=1d max=365d step=1d : whole days of history the model learns from
-- @param as_of DateTime default=2100-01-01 : forecast from the bucket holding this time (an earlier time backtests); the default is now, read from the latest snapshot (insights.forecasts, at most a minute old) when history is 28d and horizon at most 48 hours or 14 days
-- @cache bucket=60 open_ttl=30 closed_ttl=86400
WITH
    {as_of:DateTime64(3, 'UTC')} >= '2100-01-01' AND {history:UInt32} = 2419200
        AND {horizon:UInt32} <= if({interval:String} = '1d', 14, 48) AS from_snapshot,
    if({interval:String} = '1d', 86400, 3600) AS step
SELECT t, currency, forecast, lower, upper
FROM
(
    SELECT t, currency, forecast, lower, upper FROM insights.forecasts
    WHERE from_snapshot AND shop_id = {shop:String} AND metric = 'revenue' AND step_s = step
      AND t >= toStartOfInterval(now('UTC'), toIntervalSecond(step))
    ORDER BY currency, t
    LIMIT {horizon:UInt32} BY currency
    UNION ALL
    SELECT t, currency, forecast, lower, upper
    FROM insight_forecast(
        shop = {shop:String}, metric = 'revenue', product = '',
        step_s = if({interval:String} = '1d', 86400, 3600), horizon = {horizon:UInt32},
        history_days = intDiv({history:UInt32}, 86400),
        as_of = if({as_of:DateTime64(3, 'UTC')} >= '2100-01-01', now64(3, 'UTC'), {as_of:DateTime64(3, 'UTC')}),
        enabled = toUInt8(NOT ({as_of:DateTime64(3, 'UTC')} >= '2100-01-01' AND {history:UInt32} = 2419200
            AND {horizon:UInt32} <= if({interval:String} = '1d', 14, 48))))
)
ORDER BY currency, t
