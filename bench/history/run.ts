// Historical API benchmark: cached vs uncached in one run, plus a dashboard mix.
// Loads only 127.0.0.1, bounded in requests and seconds. `npm run bench:history`
// (BENCH_SECONDS, BENCH_CONCURRENCY to change the bounds; REDIS_URL to include Redis).
import { Agent, request } from 'node:http'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createAuth } from '../../api/auth.ts'
import { loadConfig } from '../../api/config.ts'
import { startLivehouse } from '../../api/livehouse.ts'
import { createLogger } from '../../api/log.ts'
import { makeFixtures } from '../../api/history/fixtures.ts'

const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32)
const secret = 'bench-secret-which-is-long-enough-for-hs256'
const dataDir = mkdtempSync(join(tmpdir(), 'livehouse-bench-'))
const lh = await startLivehouse(loadConfig({
  PORT: '0', HOST: '127.0.0.1', SQL_PORT: '0', DATA_DIR: dataDir, AUTH_SECRET: secret, DEMO_RATE: '0', LOG_LEVEL: 'silent',
  RATE_LIMIT_TOKEN_PER_S: '0', RATE_LIMIT_IP_PER_S: '0', ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL, CACHE_NAMESPACE: `bench-${Date.now()}` } : {}),
}), createLogger('silent'))
const port = lh.server.port
const auth = createAuth(secret)
const admin = await auth.sign({ sub: 'bench', roles: ['admin'], symbols: ['*'], shops: ['*'] })
const hour = 3600_000
const base = Math.floor(Date.now() / hour) * hour - 3 * hour
const f = makeFixtures(base, { trades: 20_000, orders: 10_000, webEvents: 20_000 })
for (const [stream, events] of [['trades', f.trades], ['orders', f.orders], ['web_events', f.webEvents]] as const) {
  await lh.ingestor.events(stream, events as never)
}
await new Promise((r) => setTimeout(r, 1500)) // let the batcher flush (bench only)

const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
function get(path: string, token: string): Promise<{ ms: number; cache: string; status: number }> {
  const t0 = performance.now()
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${token}` } }, (r) => {
      r.resume()
      r.on('end', () => res({ ms: performance.now() - t0, cache: String(r.headers['x-cache']), status: r.statusCode ?? 0 }))
    })
    req.on('error', rej)
    req.end()
  })
}

async function load(name: string, next: (i: number) => { path: string; token: string }, opts: { seconds: number; maxRequests: number; concurrency: number }) {
  const lat: number[] = []
  let hits = 0
  let errors = 0
  let i = 0
  const deadline = performance.now() + opts.seconds * 1000
  const started = performance.now()
  await Promise.all(Array.from({ length: opts.concurrency }, async () => {
    while (performance.now() < deadline && i < opts.maxRequests) {
      const { path, token } = next(i++)
      const r = await get(path, token)
      lat.push(r.ms)
      if (r.status !== 200) errors++
      if (r.cache === 'HIT') hits++
    }
  }))
  const elapsedS = (performance.now() - started) / 1000
  lat.sort((a, b) => a - b)
  const q = (p: number) => Number(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2))
  const out = { name, requests: lat.length, errors, seconds: Number(elapsedS.toFixed(2)), reqPerS: Math.round(lat.length / elapsedS), p50Ms: q(0.5), p99Ms: q(0.99), hitRatio: Number((hits / lat.length).toFixed(4)) }
  console.log(JSON.stringify(out))
  return out
}

const from = new Date(base).toISOString()
const to = new Date(base + 2 * hour).toISOString()
const overview = `/api/v1/q/sales_overview?from=${from}&to=${to}`
await get(overview, admin)
const cached = await load('cached sales_overview (L1)', () => ({ path: overview, token: admin }), { seconds, maxRequests: 200_000, concurrency })
// Uncached: every request a distinct closed range, so every one runs in ClickHouse.
const uncached = await load('uncached sales_overview', (i) => ({ path: `/api/v1/q/sales_overview?from=${new Date(base + (i % 3600) * 1000).toISOString()}&to=${new Date(base + 2 * hour - Math.floor(i / 3600) * 1000).toISOString()}`, token: admin }), { seconds, maxRequests: 2000, concurrency: 4 })

// Dashboard mix: 50 sellers over 5 shop scopes, each loading the same 8-widget dashboard repeatedly.
const shopsOf = [['shop-a'], ['shop-b'], ['shop-a', 'shop-b'], ['*'], ['shop-a']]
const sellers = await Promise.all(Array.from({ length: 50 }, (_, u) => auth.sign({ sub: `seller-${u}`, roles: ['seller', 'trader'], symbols: ['*'], shops: shopsOf[u % 5] })))
const widgets = [
  `/api/v1/q/sales_overview?from=-24h&to=now`, `/api/v1/q/sales_trend?metric=revenue&interval=1h&from=-24h&to=now`,
  `/api/v1/q/top_products?by=revenue&from=-7d&to=now`, `/api/v1/q/category_breakdown?from=-7d&to=now`,
  `/api/v1/q/funnel?from=-24h&to=now`, `/api/v1/q/profitability?from=-7d&to=now&interval=1d`,
  `/api/v1/q/candles?symbol=BTC-USD&interval=1m&from=-6h&to=now`, `/api/v1/q/symbol_stats`,
]
const mix = await load('dashboard mix (8 widgets x 50 users)', (i) => ({ path: widgets[i % widgets.length], token: sellers[Math.floor(i / widgets.length) % sellers.length] }), { seconds, maxRequests: 200_000, concurrency })

const result = { date: new Date().toISOString(), machine: '2 shared cores, Node ' + process.version, redis: Boolean(process.env.REDIS_URL), seconds, concurrency, runs: [cached, uncached, mix] }
const day = result.date.slice(0, 10)
const dir = resolve(import.meta.dirname, '../results')
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, `${day}-history.json`), JSON.stringify(result, null, 2) + '\n')
writeFileSync(join(dir, `${day}-history.md`), [
  `# Historical API benchmark, ${day}`, '', `${result.machine}; Redis: ${result.redis ? 'yes' : 'no (L1 only)'}; ${seconds} s per run; client in the same process.`, '',
  '| run | requests | req/s | p50 ms | p99 ms | hit ratio | errors |', '|---|---|---|---|---|---|---|',
  ...result.runs.map((r) => `| ${r.name} | ${r.requests} | ${r.reqPerS} | ${r.p50Ms} | ${r.p99Ms} | ${r.hitRatio} | ${r.errors} |`), '',
  'Targets (issue 4): cached ≥ 5,000 req/s with p99 ≤ 20 ms; uncached dashboard query p99 ≤ 200 ms; dashboard mix hit ratio ≥ 95%.', '',
].join('\n'))
agent.destroy()
await lh.stop()
rmSync(dataDir, { recursive: true, force: true })
process.exit(0)
