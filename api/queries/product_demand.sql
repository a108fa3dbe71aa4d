-- @description Net units forecast per product of one shop with an 80 % band (lower, upper), per hour or day from the bucket holding as_of on; one product, or the products with the most forecast units.
-- @roles seller
-- @param shop Shop required : the shop
-- @param product_id Id default= : one product, or empty for the top products
-- @param interval Enum values=1h|1d default=1d : bucket width (UTC hours or days)
-- @param horizon UInt32 default=7 min=1 max=200 : buckets, the one holding as_of first
-- @param history Interval default=28d min=1d max=365d step=1d : whole days of history the model learns from
-- @param as_of DateTime default=now : forecast from the bucket holding this time (an earlier time backtests)
-- @param limit UInt32 default=10 min=1 max=1000 : products, most forecast units first
-- @cache bucket=60 open_ttl=60 closed_ttl=86400
SELECT t, currency, product_id, forecast, lower, upper
FROM
(
    SELECT t, currency, product_id, forecast, lower, upper,
        dense_rank() OVER (PARTITION BY currency ORDER BY product_total DESC, product_id) AS product_rank
    FROM
    (
        SELECT t, currency, product_id, forecast, lower, upper,
            sum(forecast) OVER (PARTITION BY currency, product_id) AS product_total
        FROM insight_forecast(
            shop = {shop:String}, metric = 'units', product = {product_id:String},
            step_s = if({interval:String} = '1h', 3600, 86400), horizon = {horizon:UInt32},
            history_days = intDiv({history:UInt32}, 86400), as_of = {as_of:DateTime64(3, 'UTC')})
    )
)
WHERE product_rank <= {limit:UInt32}
ORDER BY currency, product_rank, t
