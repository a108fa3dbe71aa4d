// Channels: each is one SQL query over the rollups, parameterised with {name:Type}.
// ClickHouse aggregates; TypeScript only validates parameters, authorises and diffs rows.
import { z } from 'zod'
import type { Principal } from '../../core/roles.ts'
import type { ChannelMeta } from '../protocol/index.ts'
import { identifierSchema } from '../../core/identifiers.ts'
import { riskChannel } from './risk-channel.ts'

export interface Sql {
  query: string
  params: Record<string, unknown>
}

/** What one channel kind is: its parameters, who may watch it and the SQL that reads it. */
export interface ChannelSpec<P = any> {
  name: string
  /** Validates client parameters; `principal` fills defaults such as the entitled symbols. */
  parse(raw: Record<string, unknown>, principal: Principal): P
  /** Canonical identity of a live query: one per distinct topic however many watch it. */
  topic(p: P): string
  /** The symbols or shops the channel is about (api/live/entities.ts: never-seen ones are capped); none = all. */
  about?(p: P): { kind: 'symbol' | 'shop'; ids: string[] }
  meta: ChannelMeta
  /** series: rows keyed by a time bucket, read from `since`; table: the whole (small) result every tick. */
  mode: 'series' | 'table' | 'tape'
  /** Bucket width for series channels (0 for tape: trade timestamps). */
  bucketMs(p: P): number
  /** Rows at or after `sinceMs` (series/tape) or the whole table; at most `limit` rows. */
  read(p: P, sinceMs: number, limit: number): Sql
  /**
   * Optional: live queries with the same `key` tick with one shared SQL read. Its rows
   * carry `member(p)` as an extra first cell, newest first per member, `limit` per member.
   */
  batch?: {
    key(p: P): string
    member(p: P): string
    read(ps: P[], sinceMs: number, limit: number): Sql
  }
}

const symbol = identifierSchema('symbol')
const shop = identifierSchema('shop')
const intervals = { '1s': 1_000, '1m': 60_000, '1h': 3_600_000 } as const
const since = "toDateTime(intDiv({since:Int64}, 1000), 'UTC')"

const strict = <T extends z.ZodRawShape>(shape: T) => z.object(shape).strict()

const candleColumns = `toUnixTimestamp(bucket) * 1000, toFloat64(argMinMerge(open)), toFloat64(max(high)), toFloat64(min(low)),
  toFloat64(argMaxMerge(close)), toFloat64(sum(volume)), sum(trades), toFloat64(if(sum(volume) = 0, 0, sum(quote_volume) / sum(volume)))`
const candleParams = strict({ symbol, interval: z.enum(['1s', '1m', '1h']) })
const candles: ChannelSpec<z.infer<typeof candleParams>> = {
  name: 'candles',
  parse: (raw) => candleParams.parse(raw),
  topic: (p) => `candles/${p.interval}/${p.symbol}`,
  about: (p) => ({ kind: 'symbol', ids: [p.symbol] }),
  meta: { columns: ['t', 'open', 'high', 'low', 'close', 'volume', 'trades', 'vwap'], key: [0], time: 0 },
  mode: 'series',
  bucketMs: (p) => intervals[p.interval],
  read: (p, sinceMs, limit) => ({
    query: `SELECT ${candleColumns} FROM candles_${p.interval} WHERE symbol = {symbol:String} AND bucket >= ${since}
            GROUP BY bucket ORDER BY bucket DESC LIMIT {limit:UInt32}`,
    params: { symbol: p.symbol, since: sinceMs, limit },
  }),
  // Every candle channel of one interval in one query per tick (the live path's main cost).
  batch: {
    key: (p) => `candles/${p.interval}`,
    member: (p) => p.symbol,
    read: (ps, sinceMs, limit) => ({
      query: `SELECT symbol, ${candleColumns} FROM candles_${ps[0].interval}
              WHERE symbol IN {symbols:Array(String)} AND bucket >= ${since}
              GROUP BY symbol, bucket ORDER BY symbol, bucket DESC LIMIT {limit:UInt32} BY symbol`,
      params: { symbols: ps.map((p) => p.symbol), since: sinceMs, limit },
    }),
  },
}

const tickerParams = strict({ symbols: z.array(symbol).min(1).max(500).optional() })
const ticker: ChannelSpec<{ symbols: string[] | '*' }> = {
  name: 'ticker',
  parse: (raw, pr) => {
    const p = tickerParams.parse(raw)
    return { symbols: p.symbols ? [...new Set(p.symbols)].sort() : pr.symbols === '*' ? '*' : [...pr.symbols].sort() }
  },
  topic: (p) => `ticker/${p.symbols === '*' ? '*' : p.symbols.join(',')}`,
  about: (p) => ({ kind: 'symbol', ids: p.symbols === '*' ? [] : p.symbols }),
  meta: { columns: ['symbol', 'last', 'open_24h', 'change', 'change_pct', 'volume_24h', 'trades_24h'], key: [0], time: -1 },
  mode: 'table',
  bucketMs: () => 60_000,
  read: (p, _since, limit) => ({
    query: `SELECT symbol, toFloat64(argMaxMerge(close)) AS last_price, toFloat64(argMinMerge(open)) AS open_price,
              toFloat64(last_price - open_price), round((last_price - open_price) / open_price * 100, 4),
              toFloat64(sum(volume)), sum(trades)
            FROM candles_1m WHERE bucket >= now() - INTERVAL 24 HOUR AND ({all:UInt8} = 1 OR has({symbols:Array(String)}, symbol))
            GROUP BY symbol ORDER BY symbol LIMIT {limit:UInt32}`,
    params: { all: p.symbols === '*' ? 1 : 0, symbols: p.symbols === '*' ? [] : p.symbols, limit },
  }),
}

const tapeParams = strict({ symbol })
const tape: ChannelSpec<z.infer<typeof tapeParams>> = {
  name: 'trades',
  parse: (raw) => tapeParams.parse(raw),
  topic: (p) => `trades/${p.symbol}`,
  about: (p) => ({ kind: 'symbol', ids: [p.symbol] }),
  meta: { columns: ['t', 'id', 'price', 'qty', 'side'], key: [1], time: 0 },
  mode: 'tape',
  bucketMs: () => 0,
  read: (p, sinceMs, limit) => ({
    // Raw rows, no aggregation: the tape is the latest trades themselves, newest first, capped.
    query: `SELECT toUnixTimestamp64Milli(ts), id, toFloat64(price), toFloat64(qty), toString(side)
            FROM trades WHERE symbol = {symbol:String} AND ts >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
            ORDER BY ts DESC, id DESC LIMIT {limit:UInt32}`,
    params: { symbol: p.symbol, since: sinceMs, limit },
  }),
  batch: {
    key: () => 'trades',
    member: (p) => p.symbol,
    read: (ps, sinceMs, limit) => ({
      query: `SELECT symbol, toUnixTimestamp64Milli(ts), id, toFloat64(price), toFloat64(qty), toString(side)
              FROM trades WHERE symbol IN {symbols:Array(String)} AND ts >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
              ORDER BY symbol, ts DESC, id DESC LIMIT {limit:UInt32} BY symbol`,
      params: { symbols: ps.map((p) => p.symbol), since: sinceMs, limit },
    }),
  },
}

const salesParams = strict({ shop, interval: z.enum(['1m', '1h']) })
const sales: ChannelSpec<z.infer<typeof salesParams>> = {
  name: 'sales',
  parse: (raw) => salesParams.parse(raw),
  topic: (p) => `sales/${p.interval}/${p.shop}`,
  about: (p) => ({ kind: 'shop', ids: [p.shop] }),
  // revenue is net (gross_revenue - refunds, docs/api.md Metrics); the two parts come last so column positions stay.
  meta: { columns: ['t', 'currency', 'revenue', 'cost', 'units', 'orders', 'customers', 'aov', 'gross_revenue', 'refunds'], key: [0, 1], time: 0 },
  mode: 'series',
  bucketMs: (p) => intervals[p.interval],
  read: (p, sinceMs, limit) => ({
    // Completed lines are sales at their time, refunded lines returns at theirs (cost comes back with them);
    // one row per bucket and currency (never summed across currencies).
    query: `SELECT toUnixTimestamp(bucket) * 1000, toString(currency), toFloat64(gross - refunded AS net),
              toFloat64(sumIf(s.cost, s.status = 'completed') - sumIf(s.cost, s.status = 'refunded')),
              toInt64(sumIf(s.units, s.status = 'completed')) - toInt64(sumIf(s.units, s.status = 'refunded')),
              uniqExactMergeIf(s.orders, s.status = 'completed') AS n_orders, uniqExactMergeIf(s.customers, s.status = 'completed'),
              if(n_orders = 0, 0, round(toFloat64(net) / n_orders, 4)),
              toFloat64(sumIf(s.revenue, s.status = 'completed') AS gross), toFloat64(sumIf(s.revenue, s.status = 'refunded') AS refunded)
            FROM sales_${p.interval} AS s WHERE shop_id = {shop:String} AND status IN ('completed', 'refunded') AND bucket >= ${since}
            GROUP BY bucket, currency ORDER BY bucket DESC, currency LIMIT {limit:UInt32}`,
    params: { shop: p.shop, since: sinceMs, limit },
  }),
}

const windowHours = { '1h': 1, '24h': 24, '7d': 168 } as const
const topParams = strict({ shop, window: z.enum(['1h', '24h', '7d']), n: z.number().int().min(1).max(100).default(10) })
const topProducts: ChannelSpec<z.infer<typeof topParams>> = {
  name: 'top_products',
  parse: (raw) => topParams.parse(raw),
  topic: (p) => `top_products/${p.window}/${p.n}/${p.shop}`,
  about: (p) => ({ kind: 'shop', ids: [p.shop] }),
  // revenue and units are net (docs/api.md Metrics); gross_revenue and refunds come last so column positions stay.
  meta: { columns: ['product_id', 'category', 'currency', 'revenue', 'units', 'orders', 'gross_revenue', 'refunds'], key: [0, 1, 2], time: -1 },
  mode: 'table',
  bucketMs: () => 3_600_000,
  read: (p, _since, limit) => ({
    query: `SELECT product_id, category, toString(currency), toFloat64(gross - refunded AS net),
              toInt64(sumIf(p.units, p.status = 'completed')) - toInt64(sumIf(p.units, p.status = 'refunded')),
              uniqExactMergeIf(p.orders, p.status = 'completed'),
              toFloat64(sumIf(p.revenue, p.status = 'completed') AS gross), toFloat64(sumIf(p.revenue, p.status = 'refunded') AS refunded)
            FROM product_sales_1h AS p WHERE shop_id = {shop:String} AND status IN ('completed', 'refunded')
              AND bucket >= toStartOfHour(now()) - toIntervalHour({hours:UInt32} - 1)
            GROUP BY product_id, category, currency ORDER BY net DESC, product_id LIMIT {limit:UInt32}`,
    params: { shop: p.shop, hours: windowHours[p.window], limit: Math.min(limit, p.n) },
  }),
}

const funnelParams = strict({ shop })
const funnel: ChannelSpec<z.infer<typeof funnelParams>> = {
  name: 'funnel',
  parse: (raw) => funnelParams.parse(raw),
  topic: (p) => `funnel/${p.shop}`,
  about: (p) => ({ kind: 'shop', ids: [p.shop] }),
  meta: {
    columns: ['t', 'views', 'add_to_cart', 'checkout', 'purchase', 'sessions', 'view_sessions', 'add_to_cart_sessions', 'checkout_sessions', 'purchase_sessions'],
    key: [0],
    time: 0,
  },
  mode: 'series',
  bucketMs: () => 60_000,
  read: (p, sinceMs, limit) => ({
    query: `SELECT toUnixTimestamp(bucket) * 1000, sum(views), sum(add_to_cart), sum(checkout), sum(purchase),
              uniqExactMerge(sessions), uniqExactMerge(view_sessions), uniqExactMerge(add_to_cart_sessions),
              uniqExactMerge(checkout_sessions), uniqExactMerge(purchase_sessions)
            FROM funnel_1m WHERE shop_id = {shop:String} AND bucket >= ${since}
            GROUP BY bucket ORDER BY bucket DESC LIMIT {limit:UInt32}`,
    params: { shop: p.shop, since: sinceMs, limit },
  }),
}

export const channels: ReadonlyMap<string, ChannelSpec> = new Map(
  [candles, ticker, tape, sales, topProducts, funnel, riskChannel].map((c) => [c.name, c as ChannelSpec]),
)
