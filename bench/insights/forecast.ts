// Forecast backtest: one forecast per held-out day from 00:00 UTC, scored on the buckets that
// followed, beside seasonal-naive forecasts of the same buckets (same bucket a week earlier,
// and the previous day's or bucket's value), all from the same data.
import type { ClickHouseClient } from '@clickhouse/client'
import type { CatalogRunner } from './scenario.ts'

export interface Score {
  buckets: number
  mape: number
  coverage: number
  naiveWeekMape: number
  naiveDayMape: number
}

export interface BacktestResult {
  cutoffs: number
  hourly: Score
  daily: Score
  products: Score
}

const hour = 3_600_000
const day = 24 * hour
const ms = (t: unknown) => Date.parse(`${String(t).replace(' ', 'T')}Z`)

export async function backtest(run: CatalogRunner, ch: ClickHouseClient, shop: string, fromMs: number, toMs: number): Promise<BacktestResult> {
  const hourly = await actuals(ch, shop, 'hour')
  const daily = await actuals(ch, shop, 'day')
  const units = await actuals(ch, shop, 'product')
  const cutoffs: number[] = []
  for (let c = fromMs; c < toMs; c += day) cutoffs.push(c)
  const score = createScorer()
  const scoreDaily = createScorer()
  const scoreProducts = createScorer()
  for (const c of cutoffs) {
    const asOf = new Date(c).toISOString()
    for (const r of await run('revenue_forecast', { shop, interval: '1h', horizon: '24', history: '28d', as_of: asOf })) {
      const t = ms(r.t)
      score.add(hourly.get(String(t)), r, hourly.get(String(t - 7 * day)), hourly.get(String(t - day)))
    }
    for (const r of await run('revenue_forecast', { shop, interval: '1d', horizon: '7', history: '28d', as_of: asOf })) {
      const t = ms(r.t)
      if (t < toMs) scoreDaily.add(daily.get(String(t)), r, daily.get(String(t - 7 * day)), daily.get(String(c - day)))
    }
    for (const r of await run('product_demand', { shop, interval: '1d', horizon: '7', history: '28d', as_of: asOf, limit: '10' })) {
      const t = ms(r.t)
      const k = (at: number) => `${r.product_id}@${at}`
      if (t < toMs) scoreProducts.add(units.get(k(t)), r, units.get(k(t - 7 * day)), units.get(k(c - day)))
    }
  }
  return { cutoffs: cutoffs.length, hourly: score.result(), daily: scoreDaily.result(), products: scoreProducts.result() }
}

/** Net revenue per hour or day, or net units per product and day: key → value. */
async function actuals(ch: ClickHouseClient, shop: string, by: 'hour' | 'day' | 'product'): Promise<Map<string, number>> {
  const query = by === 'product'
    ? `SELECT concat(product_id, '@', toString(toUnixTimestamp(toStartOfDay(bucket)) * 1000)) AS k,
         toFloat64(toInt64(sumIf(units, status = 'completed')) - toInt64(sumIf(units, status = 'refunded'))) AS v
       FROM product_sales_1h WHERE shop_id = {shop:String} GROUP BY k`
    : `SELECT toString(toUnixTimestamp(${by === 'day' ? 'toStartOfDay(bucket)' : 'bucket'}) * 1000) AS k,
         toFloat64(sumIf(revenue, status = 'completed') - sumIf(revenue, status = 'refunded')) AS v
       FROM sales_1h WHERE shop_id = {shop:String} GROUP BY k`
  const rs = await ch.query({ query, query_params: { shop }, format: 'JSONEachRow' })
  return new Map((await rs.json<{ k: string; v: number }>()).map((r) => [r.k, r.v]))
}

function createScorer() {
  const ape: number[] = []
  const inBand: boolean[] = []
  const naiveWeek: number[] = []
  const naiveDay: number[] = []
  const err = (a: number, f: number) => Math.abs(a - f) / Math.abs(a)
  return {
    add(actual: number | undefined, r: Record<string, unknown>, weekAgo: number | undefined, previous: number | undefined) {
      // Buckets with no sale (or no actual yet) have no percentage error: left out of every column alike.
      if (actual === undefined || actual === 0 || weekAgo === undefined || previous === undefined) return
      ape.push(err(actual, Number(r.forecast)))
      inBand.push(actual >= Number(r.lower) && actual <= Number(r.upper))
      naiveWeek.push(err(actual, weekAgo))
      naiveDay.push(err(actual, previous))
    },
    result(): Score {
      const mean = (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)) * 10_000) / 10_000
      return { buckets: ape.length, mape: mean(ape), coverage: mean(inBand.map(Number)), naiveWeekMape: mean(naiveWeek), naiveDayMape: mean(naiveDay) }
    },
  }
}
