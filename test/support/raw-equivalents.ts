/**
 * For each catalog query, the same answer computed straight from the raw tables
 * (no rollup), used by the differential test: the catalog must equal these to the
 * last digit. Parameters: from, to (DateTime64), symbol, shop, interval (seconds).
 */
import { insightRawEquivalents } from '../../api/queries/tests/raw-equivalents.ts'

const range = `ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}`
const completed = `status = 'completed' AND ({shop:String} = '' OR shop_id = {shop:String})`
// Net sales from the order lines themselves (docs/api.md, Metrics): completed lines are sales
// at their time, refunded lines returns at theirs, pending and cancelled lines never count.
const netLines = `status IN ('completed', 'refunded') AND ({shop:String} = '' OR shop_id = {shop:String})`
const sale = `status = 'completed'`
const refund = `status = 'refunded'`
const amount = 'quantity * toDecimal128(unit_price, 4)'
const lineCost = 'quantity * toDecimal128(ifNull(unit_cost, 0), 4)'
/** Net revenue, cost, units and orders per currency and product over the range. */
const netSums = `sumIf(${amount}, ${sale}) - sumIf(${amount}, ${refund}) AS revenue, sumIf(${amount}, ${sale}) AS gross_revenue,
  sumIf(${amount}, ${refund}) AS refunds, sumIf(${lineCost}, ${sale}) - sumIf(${lineCost}, ${refund}) AS cost,
  sumIf(toInt64(quantity), ${sale}) - sumIf(toInt64(quantity), ${refund}) AS units, sumIf(toInt64(quantity), ${refund}) AS returned_units,
  uniqExactIf(order_id, ${sale}) AS orders
  FROM orders WHERE ${netLines} AND ${range} GROUP BY currency, product_id`

export const rawEquivalents: Record<string, { params: Record<string, string>; sql: string }> = {
  candles: {
    params: { interval: '300' },
    sql: `SELECT toStartOfInterval(toDateTime(ts, 'UTC'), toIntervalSecond({interval:UInt32})) AS t,
      argMin(price, (ts, id)) AS open, max(price) AS high, min(price) AS low, argMax(price, (ts, id)) AS close,
      sum(qty) AS volume, sum(toDecimal128(price, 8) * qty) AS quote_volume, sumIf(qty, side = 'buy') AS buy_volume, count() AS trades
      FROM trades WHERE symbol = {symbol:String} AND ${range} GROUP BY t ORDER BY t`,
  },
  trades: {
    params: { limit: '25' },
    sql: `SELECT ts, id, price, qty, side, venue FROM trades WHERE symbol = {symbol:String} AND ${range} ORDER BY ts DESC, id DESC LIMIT 25`,
  },
  symbol_stats: {
    params: { window: '2h' },
    sql: `SELECT symbol, open, last, last - open AS change, round(toFloat64(last - open) / toFloat64(open) * 100, 4) AS change_pct,
      high, low, volume, quote_volume, toDecimal256(quote_volume, 16) / volume AS vwap, trades
      FROM (SELECT symbol, argMin(price, (ts, id)) AS open, argMax(price, (ts, id)) AS last, max(price) AS high, min(price) AS low,
        sum(qty) AS volume, sum(toDecimal128(price, 8) * qty) AS quote_volume, count() AS trades
        FROM trades WHERE symbol = {symbol:String} AND ${range} GROUP BY symbol) ORDER BY symbol`,
  },
  top_movers: {
    params: { window: '2h', limit: '2' },
    sql: `SELECT symbol, open, last, last - open AS change, round(toFloat64(last - open) / toFloat64(open) * 100, 4) AS change_pct, volume, trades
      FROM (SELECT symbol, argMin(price, (ts, id)) AS open, argMax(price, (ts, id)) AS last, sum(qty) AS volume, count() AS trades
        FROM trades WHERE ${range} GROUP BY symbol) ORDER BY -abs(change_pct), symbol LIMIT 2`,
  },
  sales_overview: {
    params: {},
    sql: `WITH toUnixTimestamp64Milli({from:DateTime64(3, 'UTC')}) AS f, toUnixTimestamp64Milli({to:DateTime64(3, 'UTC')}) AS e
      SELECT currency, revenue, gross_revenue, refunds, orders, if(orders = 0, NULL, revenue / orders) AS aov, customers, units,
        prev_revenue, prev_gross_revenue, prev_refunds, prev_orders, if(prev_orders = 0, NULL, prev_revenue / prev_orders) AS prev_aov, prev_customers, prev_units,
        if(prev_revenue = 0, NULL, round(toFloat64(revenue - prev_revenue) / abs(toFloat64(prev_revenue)) * 100, 4)) AS revenue_growth_pct,
        if(prev_orders = 0, NULL, round((orders - prev_orders) / prev_orders * 100, 4)) AS orders_growth_pct,
        if(prev_customers = 0, NULL, round((customers - prev_customers) / prev_customers * 100, 4)) AS customers_growth_pct,
        if(prev_orders = 0 OR orders = 0 OR prev_revenue = 0, NULL,
          round((toFloat64(revenue) / orders - toFloat64(prev_revenue) / prev_orders) / abs(toFloat64(prev_revenue) / prev_orders) * 100, 4)) AS aov_growth_pct
      FROM (SELECT currency, g - r AS revenue, g AS gross_revenue, r AS refunds, o AS orders, c AS customers, u AS units,
          pg - pr AS prev_revenue, pg AS prev_gross_revenue, pr AS prev_refunds, po AS prev_orders, pc AS prev_customers, pu AS prev_units
        FROM (SELECT toString(currency) AS currency,
          sumIf(${amount}, ${sale} AND toUnixTimestamp64Milli(ts) >= f) AS g, sumIf(${amount}, ${refund} AND toUnixTimestamp64Milli(ts) >= f) AS r,
          uniqExactIf(order_id, ${sale} AND toUnixTimestamp64Milli(ts) >= f) AS o, uniqExactIf(customer_id, ${sale} AND toUnixTimestamp64Milli(ts) >= f) AS c,
          sumIf(toInt64(quantity), ${sale} AND toUnixTimestamp64Milli(ts) >= f) - sumIf(toInt64(quantity), ${refund} AND toUnixTimestamp64Milli(ts) >= f) AS u,
          sumIf(${amount}, ${sale} AND toUnixTimestamp64Milli(ts) < f) AS pg, sumIf(${amount}, ${refund} AND toUnixTimestamp64Milli(ts) < f) AS pr,
          uniqExactIf(order_id, ${sale} AND toUnixTimestamp64Milli(ts) < f) AS po, uniqExactIf(customer_id, ${sale} AND toUnixTimestamp64Milli(ts) < f) AS pc,
          sumIf(toInt64(quantity), ${sale} AND toUnixTimestamp64Milli(ts) < f) - sumIf(toInt64(quantity), ${refund} AND toUnixTimestamp64Milli(ts) < f) AS pu
          FROM orders WHERE ${netLines} AND toUnixTimestamp64Milli(ts) >= f - (e - f) AND toUnixTimestamp64Milli(ts) < e GROUP BY currency))
      ORDER BY currency`,
  },
  sales_trend: {
    params: { metric: 'revenue', interval: '1h' },
    sql: `SELECT toStartOfInterval(toDateTime(ts, 'UTC'), toIntervalSecond(3600)) AS t, toString(currency) AS currency,
      toString(sumIf(${amount}, ${sale}) - sumIf(${amount}, ${refund})) AS value
      FROM orders WHERE ${netLines} AND ${range} GROUP BY t, currency ORDER BY t, currency`,
  },
  top_products: {
    params: { by: 'units', limit: '3' },
    sql: `SELECT currency, product_id, category, revenue, units, orders, revenue - cost AS profit, gross_revenue, refunds, returned_units FROM
      (SELECT toString(currency) AS currency, product_id, any(category) AS category, ${netSums})
      ORDER BY currency, toDecimal128(units, 4) DESC, product_id LIMIT 3 BY currency`,
  },
  product_performance: {
    params: {},
    sql: `SELECT currency, product_id, category, revenue, gross_revenue, refunds, cost, revenue - cost AS profit,
      if(revenue = 0, NULL, round(toFloat64(revenue - cost) / toFloat64(revenue) * 100, 4)) AS margin_pct,
      units, returned_units, orders, if(units + returned_units = 0, NULL, gross_revenue / (units + returned_units)) AS avg_unit_price,
      round(toFloat64(revenue) / nullIf(toFloat64(sum(revenue) OVER (PARTITION BY currency)), 0) * 100, 4) AS revenue_share_pct
      FROM (SELECT toString(currency) AS currency, product_id, any(category) AS category, ${netSums})
      ORDER BY currency, revenue DESC, product_id`,
  },
  category_breakdown: {
    params: {},
    sql: `SELECT currency, category, revenue, units, orders, revenue - cost AS profit, gross_revenue, refunds,
      round(toFloat64(revenue) / nullIf(toFloat64(sum(revenue) OVER (PARTITION BY currency)), 0) * 100, 4) AS revenue_share_pct
      FROM (SELECT toString(currency) AS currency, category, ${netSums.replace('product_id', 'category')})
      ORDER BY currency, revenue DESC, category`,
  },
  profitability: {
    params: { interval: '1h' },
    sql: `SELECT t, currency, revenue, gross_revenue, refunds, cost, revenue - cost AS profit,
      if(revenue = 0, NULL, round(toFloat64(revenue - cost) / toFloat64(revenue) * 100, 4)) AS margin_pct
      FROM (SELECT toStartOfInterval(toDateTime(ts, 'UTC'), toIntervalSecond(3600)) AS t, toString(currency) AS currency, ${netSums.replace('GROUP BY currency, product_id', 'GROUP BY t, currency')})
      ORDER BY t, currency`,
  },
  funnel: {
    params: {},
    sql: `SELECT product_id, views, add_to_cart, checkout, purchase, sessions, view_sessions, add_to_cart_sessions, checkout_sessions, purchase_sessions,
      if(view_sessions = 0, NULL, round(add_to_cart_sessions / view_sessions * 100, 4)) AS cart_rate_pct,
      if(add_to_cart_sessions = 0, NULL, round(checkout_sessions / add_to_cart_sessions * 100, 4)) AS checkout_rate_pct,
      if(checkout_sessions = 0, NULL, round(purchase_sessions / checkout_sessions * 100, 4)) AS purchase_rate_pct,
      if(view_sessions = 0, NULL, round(purchase_sessions / view_sessions * 100, 4)) AS conversion_pct
      FROM (SELECT product_id, countIf(type = 'view') AS views, countIf(type = 'add_to_cart') AS add_to_cart, countIf(type = 'checkout') AS checkout,
        countIf(type = 'purchase') AS purchase, uniqExact(session_id) AS sessions, uniqExactIf(session_id, type = 'view') AS view_sessions,
        uniqExactIf(session_id, type = 'add_to_cart') AS add_to_cart_sessions, uniqExactIf(session_id, type = 'checkout') AS checkout_sessions,
        uniqExactIf(session_id, type = 'purchase') AS purchase_sessions
        FROM web_events WHERE ({shop:String} = '' OR shop_id = {shop:String}) AND ${range} GROUP BY product_id)
      ORDER BY views DESC, product_id LIMIT 100`,
  },
  retention_cohorts: {
    params: { since: '2000-01-01' },
    sql: `SELECT cohort, month_offset, customers, cohort_size, round(customers / cohort_size * 100, 4) AS retention_pct FROM
      (SELECT cohort, dateDiff('month', cohort, m) AS month_offset, count() AS customers, any(size) AS cohort_size FROM
        (SELECT cohort, arrayJoin(months) AS m, count() OVER (PARTITION BY cohort) AS size FROM
          (SELECT shop_id, customer_id, toStartOfMonth(min(ts)) AS cohort, groupUniqArray(toStartOfMonth(ts)) AS months
            FROM orders WHERE ${completed} GROUP BY shop_id, customer_id))
        GROUP BY cohort, month_offset) ORDER BY cohort, month_offset`,
  },
  customer_ltv: {
    params: { since: '2000-01-01' },
    sql: `SELECT cohort, currency, count() AS customers, sum(g - r) AS revenue, revenue / customers AS avg_ltv,
      sum(o) AS orders, round(orders / customers, 4) AS avg_orders, sum(g) AS gross_revenue, sum(r) AS refunds FROM
      (SELECT shop_id, customer_id, toString(currency) AS currency, toStartOfMonth(minIf(ts, ${sale})) AS cohort,
        sumIf(${amount}, ${sale}) AS g, sumIf(${amount}, ${refund}) AS r, uniqExactIf(order_id, ${sale}) AS o
        FROM orders WHERE ${netLines} GROUP BY shop_id, customer_id, currency HAVING countIf(${sale}) > 0)
      GROUP BY cohort, currency ORDER BY cohort, currency`,
  },
  ...insightRawEquivalents,
  dead_letters_summary: {
    params: {},
    sql: `SELECT stream, source, error_code, count() AS count FROM dead_letters
      WHERE received_at >= {from:DateTime64(3, 'UTC')} AND received_at < {to:DateTime64(3, 'UTC')} GROUP BY stream, source, error_code ORDER BY count DESC, stream, error_code`,
  },
}
