/**
 * The insight queries' entries for the catalog's differential test (api/history/raw-equivalents.ts,
 * api/history/history.integration.test.ts): the same answer computed another way. RFM scores are
 * counted from arrays instead of ranked, segments looked up in a 5 × 5 table instead of the view's
 * rules, bought-together and the customer summary are self-joins and sums over `orders`; the
 * risk and forecast entries read the views directly (the wrappers' filters and ordering), since
 * their models are checked on hand-made fixtures in api/queries/tests. `as_of` is the test's `to`.
 */
const segmentTable = `[
    ['lost', 'hibernating', 'at_risk', 'at_risk', 'cant_lose'],
    ['hibernating', 'hibernating', 'at_risk', 'at_risk', 'cant_lose'],
    ['about_to_sleep', 'about_to_sleep', 'need_attention', 'loyal', 'loyal'],
    ['promising', 'potential_loyalist', 'potential_loyalist', 'loyal', 'loyal'],
    ['new', 'potential_loyalist', 'potential_loyalist', 'champions', 'champions']]`

const amount = 'quantity * toDecimal128(unit_price, 4)'

export const insightRawEquivalents: Record<string, { params: Record<string, string>; sql: string }> = {
  rfm_segments: {
    params: { limit: '100000' },
    sql: `SELECT currency, customer_id, ${segmentTable}[r_score][intDiv(f_score + m_score + 1, 2)] AS segment,
        recency_days, frequency, monetary, r_score, f_score, m_score
      FROM (
        SELECT currency, customer_id, recency_days, frequency, monetary,
          1 + intDiv(5 * arrayCount(v -> v > recency_days, rs), length(rs)) AS r_score,
          1 + intDiv(5 * arrayCount(v -> v < frequency, fs), length(fs)) AS f_score,
          1 + intDiv(5 * arrayCount(v -> v < monetary, ms), length(ms)) AS m_score
        FROM (
          SELECT *, groupArray(recency_days) OVER w AS rs, groupArray(frequency) OVER w AS fs, groupArray(monetary) OVER w AS ms
          FROM (
            SELECT toString(currency) AS currency, customer_id,
              intDiv(toUnixTimestamp64Milli({to:DateTime64(3, 'UTC')}) - toUnixTimestamp64Milli(maxIf(ts, status = 'completed')), 86400000) AS recency_days,
              uniqExactIf(order_id, status = 'completed') AS frequency,
              sumIf(${amount}, status = 'completed') - sumIf(${amount}, status = 'refunded') AS monetary
            FROM orders WHERE shop_id = {shop:String} AND ts < {to:DateTime64(3, 'UTC')}
            GROUP BY currency, customer_id HAVING frequency > 0)
          WINDOW w AS (PARTITION BY currency ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)))
      ORDER BY currency, monetary DESC, customer_id`,
  },
  rfm_summary: {
    params: {},
    sql: `SELECT currency, segment, count() AS customers, sum(monetary) AS revenue
      FROM insight_rfm(shop = {shop:String}, as_of = {to:DateTime64(3, 'UTC')}, enabled = 1)
      GROUP BY currency, segment ORDER BY currency, revenue DESC, segment`,
  },
  order_risk: {
    params: { min_score: '0', limit: '100000' },
    sql: `SELECT ts, order_id, product_id, amount, score FROM
      (SELECT order_id, product_id, ts, round(quantity * toFloat64(unit_price), 2) AS amount FROM orders
        WHERE shop_id = {shop:String} AND status != 'refunded' AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}) AS o
      INNER JOIN insight_order_risk(shop = {shop:String}, range_from = {from:DateTime64(3, 'UTC')}, range_to = {to:DateTime64(3, 'UTC')}, customer = '', snapshot = 0) AS r
        USING (order_id, product_id, ts)
      ORDER BY score DESC, ts DESC, order_id, product_id`,
  },
  revenue_forecast: {
    params: { interval: '1h', horizon: '6' },
    sql: `SELECT t, currency, forecast, lower, upper
      FROM insight_forecast(shop = {shop:String}, metric = 'revenue', product = '', step_s = 3600, horizon = 6, history_days = 28, as_of = {to:DateTime64(3, 'UTC')}, enabled = 1)
      ORDER BY currency, t`,
  },
  product_demand: {
    params: { interval: '1h', horizon: '4', limit: '1000' },
    sql: `SELECT t, currency, product_id, forecast, lower, upper
      FROM insight_forecast(shop = {shop:String}, metric = 'units', product = '', step_s = 3600, horizon = 4, history_days = 28, as_of = {to:DateTime64(3, 'UTC')}, enabled = 1)
      ORDER BY currency, sum(forecast) OVER (PARTITION BY currency, product_id) DESC, product_id, t`,
  },
  bought_together: {
    params: { product_id: 'p1', min_orders: '1', period: '365d' },
    sql: `WITH sold AS (SELECT DISTINCT order_id, product_id FROM orders
        WHERE shop_id = {shop:String} AND status = 'completed' AND ts < {to:DateTime64(3, 'UTC')} AND ts >= {to:DateTime64(3, 'UTC')} - INTERVAL 365 DAY)
      SELECT b.product_id AS product_id, count() AS orders_together,
        round(orders_together * (SELECT uniqExact(order_id) FROM sold)
          / ((SELECT count() FROM sold WHERE product_id = 'p1') * any(n.c)), 4) AS lift
      FROM sold AS a INNER JOIN sold AS b ON a.order_id = b.order_id
      INNER JOIN (SELECT product_id, count() AS c FROM sold GROUP BY product_id) AS n ON n.product_id = b.product_id
      WHERE a.product_id = 'p1' AND b.product_id != 'p1'
      GROUP BY b.product_id ORDER BY lift DESC, orders_together DESC, product_id LIMIT 10`,
  },
  product_trend: {
    params: { product_id: 'p1', interval: '1h' },
    sql: `SELECT toStartOfHour(ts) AS t, toString(currency) AS currency,
        sumIf(${amount}, status = 'completed') - sumIf(${amount}, status = 'refunded') AS revenue,
        toInt64(sumIf(quantity, status = 'completed')) - toInt64(sumIf(quantity, status = 'refunded')) AS units,
        uniqExactIf(order_id, status = 'completed') AS orders
      FROM orders WHERE shop_id = {shop:String} AND product_id = 'p1' AND status IN ('completed', 'refunded')
        AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}
      GROUP BY t, currency ORDER BY currency, t`,
  },
  customer_profile: {
    params: { customer_id: 'c1' },
    sql: `SELECT toString(currency) AS currency, uniqExactIf(order_id, status = 'completed') AS orders,
        sumIf(${amount}, status = 'completed') AS gross, sumIf(${amount}, status = 'refunded') AS refunds, gross - refunds AS lifetime_value
      FROM orders WHERE shop_id = {shop:String} AND customer_id = 'c1' AND ts < {to:DateTime64(3, 'UTC')}
      GROUP BY currency ORDER BY currency`,
  },
}
