// The usual band of a channel's column, computed in ClickHouse: over the same hour of day
// on the previous `days` days, the sum and sum of squares of the column per bucket, per
// member (symbol or shop) and entity (currency). One query per channel kind, interval,
// column and days for every member with an anomaly rule; never one per rule.
import type { Sql } from '../live/channels.ts'

interface AnomalySource {
  /** Column → SQL of its value per bucket (inside GROUP BY member, entity, bucket). */
  columns: Record<string, string>
  table(params: Record<string, unknown>): string
  /** Bucket width in seconds. */
  bucketS(params: Record<string, unknown>): number
  member: string
  memberParam: string
  /** SQL of the entity columns (as text), in the channel's entity order. */
  entity: string[]
  where?: string
}

const intervalS: Record<string, number> = { '1s': 1, '1m': 60, '1h': 3600 }
/** A sum of completed lines minus the same of refunded ones (docs/api.md, Metrics). */
const net = (column: string) => `(sumIf(${column}, status = 'completed') - sumIf(${column}, status = 'refunded'))`

const sources: Record<string, AnomalySource> = {
  candles: {
    columns: {
      open: 'toFloat64(argMinMerge(open))', high: 'toFloat64(max(high))', low: 'toFloat64(min(low))', close: 'toFloat64(argMaxMerge(close))',
      volume: 'toFloat64(sum(volume))', trades: 'toFloat64(sum(trades))', vwap: 'toFloat64(if(sum(volume) = 0, 0, sum(quote_volume) / sum(volume)))',
    },
    table: (p) => `candles_${p.interval}`,
    bucketS: (p) => intervalS[String(p.interval)],
    member: 'symbol',
    memberParam: 'symbol',
    entity: [],
  },
  // As the live `sales` channel computes them (api/live/channels.ts): revenue, cost and units
  // are net, sales minus returns at the return's time; orders and customers count sales only.
  sales: {
    columns: {
      revenue: `toFloat64(${net('revenue')})`, cost: `toFloat64(${net('cost')})`,
      units: "toFloat64(toInt64(sumIf(units, status = 'completed')) - toInt64(sumIf(units, status = 'refunded')))",
      orders: "toFloat64(uniqExactMergeIf(orders, status = 'completed'))", customers: "toFloat64(uniqExactMergeIf(customers, status = 'completed'))",
      aov: `if(uniqExactMergeIf(orders, status = 'completed') = 0, 0, toFloat64(${net('revenue')}) / uniqExactMergeIf(orders, status = 'completed'))`,
      gross_revenue: "toFloat64(sumIf(revenue, status = 'completed'))", refunds: "toFloat64(sumIf(revenue, status = 'refunded'))",
    },
    table: (p) => `sales_${p.interval}`,
    bucketS: (p) => intervalS[String(p.interval)],
    member: 'shop_id',
    memberParam: 'shop',
    entity: ['toString(currency)'],
    where: "status IN ('completed', 'refunded')",
  },
  funnel: {
    columns: {
      ...Object.fromEntries(['views', 'add_to_cart', 'checkout', 'purchase'].map((c) => [c, `toFloat64(sum(${c}))`])),
      ...Object.fromEntries(['sessions', 'view_sessions', 'add_to_cart_sessions', 'checkout_sessions', 'purchase_sessions'].map((c) => [c, `toFloat64(uniqExactMerge(${c}))`])),
    },
    table: () => 'funnel_1m',
    bucketS: () => 60,
    member: 'shop_id',
    memberParam: 'shop',
    entity: [],
  },
}

/** Columns of `channel` that have an anomaly band ([] when the channel has none). */
export const anomalyColumns = (channel: string): string[] => Object.keys(sources[channel]?.columns ?? {})

/** The member (symbol, shop) a rule's params watch, for the band query. */
export const anomalyMember = (channel: string, params: Record<string, unknown>) => String(params[sources[channel].memberParam])

/** Rules sharing one band query: same channel kind, table, column and days. */
export const anomalyGroup = (channel: string, params: Record<string, unknown>, column: string, days: number) =>
  `${channel}/${sources[channel].table(params)}/${column}/${days}`

export interface BandRow {
  member: string
  entity: string[]
  /** Days of that hour that have any row: the buckets an additive column is averaged over. */
  days_seen: number
  rows: number
  s: number
  s2: number
}

/** The band query of one group: sums per member and entity over the same hour on previous days. */
export function bandQuery(channel: string, params: Record<string, unknown>, column: string, days: number, members: string[]): Sql & { bucketS: number } {
  const src = sources[channel]
  const entity = src.entity.map((e, i) => `${e} AS e${i}`)
  const entityNames = src.entity.map((_, i) => `e${i}`)
  const groupInner = [src.member, ...entityNames, 'bucket'].join(', ')
  const query = `SELECT member, [${entityNames.join(', ')}]::Array(String) AS entity, uniqExact(toDate(bucket)) AS days_seen, count() AS rows, sum(v) AS s, sum(v * v) AS s2
    FROM (
      SELECT ${src.member} AS member, ${[...entity, ''].join(', ')} bucket, ${src.columns[column]} AS v FROM ${src.table(params)}
      WHERE ${src.member} IN {members:Array(String)} ${src.where ? `AND ${src.where}` : ''}
        AND bucket >= toStartOfHour(now()) - toIntervalDay({days:UInt32}) AND bucket < toStartOfHour(now()) AND toHour(bucket) = toHour(now())
      GROUP BY ${groupInner}
    ) GROUP BY member, entity`
  return { query, params: { members, days }, bucketS: src.bucketS(params) }
}
