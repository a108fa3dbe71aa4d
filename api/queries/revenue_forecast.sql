-- @description Net revenue forecast of one shop per currency with an 80 % band (lower, upper), per hour or day from the bucket holding as_of on: day-of-week and hour-of-day seasonality and a linear trend fitted to the hour rollup.
-- @roles seller
-- @param shop Shop required : the shop
-- @param interval Enum values=1h|1d default=1h : bucket width (UTC hours or days)
-- @param horizon UInt32 default=24 min=1 max=400 : buckets, the one holding as_of first
-- @param history Interval default=28d min=1d max=365d step=1d : whole days of history the model learns from
-- @param as_of DateTime default=now : forecast from the bucket holding this time (an earlier time backtests)
-- @cache bucket=60 open_ttl=60 closed_ttl=86400
SELECT t, currency, forecast, lower, upper
FROM insight_forecast(
    shop = {shop:String}, metric = 'revenue', product = '',
    step_s = if({interval:String} = '1d', 86400, 3600), horizon = {horizon:UInt32},
    history_days = intDiv({history:UInt32}, 86400), as_of = {as_of:DateTime64(3, 'UTC')})
ORDER BY currency, t
