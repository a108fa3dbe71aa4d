// Probe (development aid): per-query ClickHouse time, rows read and plans of the dashboard queries.
import { startInProcess, ingest, rows } from '../../test/support/gateway.ts'
import { makeFixtures } from '../../api/history/fixtures.ts'
import { loadCatalog } from '../../api/history/catalog.ts'
import { resolveCall, formatTime } from '../../api/history/params.ts'

const gw = await startInProcess({ RATE_LIMIT_TOKEN_PER_S: '0', RATE_LIMIT_IP_PER_S: '0' })
const hour = 3600_000
const base = Math.floor(Date.now() / hour) * hour - 3 * hour
const f = makeFixtures(base, { trades: 20_000, orders: 10_000, webEvents: 20_000 })
for (const [s, ev] of [['trades', f.trades], ['orders', f.orders], ['web_events', f.webEvents]] as const)
  for (let i = 0; i < ev.length; i += 5000) await ingest(gw, s, ev.slice(i, i + 5000))
await new Promise((r) => setTimeout(r, 2000))
const ch = gw.clickhouse('probe' as never)
const catalog = loadCatalog()
const admin = { sub: 'a', roles: new Set(['admin']), symbols: '*', shops: '*' } as never
const calls: [string, Record<string, string>][] = [
  ['sales_overview', { from: new Date(base + 17_000).toISOString(), to: new Date(base + 2 * hour + 17_000).toISOString() }],
  ['sales_overview', { from: '-24h', to: 'now' }],
  ['sales_trend', { metric: 'revenue', interval: '1h', from: '-24h', to: 'now' }],
  ['top_products', { by: 'revenue', from: '-7d', to: 'now' }],
  ['category_breakdown', { from: '-7d', to: 'now' }],
  ['funnel', { from: '-24h', to: 'now' }],
  ['profitability', { from: '-7d', to: 'now', interval: '1d' }],
  ['candles', { symbol: 'BTC-USD', interval: '1m', from: '-6h', to: 'now' }],
  ['symbol_stats', {}],
]
const threads = Number(process.env.THREADS ?? 0)
for (const [name, input] of calls) {
  const q = catalog.get(name)!
  const call = resolveCall(q, input, admin, Date.now())
  const ms: number[] = []
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now()
    const rs = await ch.query({ query: q.sql, query_params: call.bound, format: 'JSON', clickhouse_settings: threads ? { max_threads: threads } : {} })
    const j = await rs.json<Record<string, unknown>>()
    ms.push(performance.now() - t0)
    if (i === 0) process.stdout.write(`${name} rows_read=${(j as { statistics?: { rows_read: number } }).statistics?.rows_read} `)
  }
  ms.sort((a, b) => a - b)
  console.log(`median ${ms[7].toFixed(1)} ms min ${ms[0].toFixed(1)}`)
  if (process.env.EXPLAIN === name) {
    const plan = await ch.query({ query: `EXPLAIN indexes = 1 ${q.sql}`, query_params: call.bound, format: 'TabSeparated' })
    console.log(await plan.text())
  }
}
void formatTime; void rows
await gw.stop()
process.exit(0)
