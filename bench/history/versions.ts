// Data versions in the cache key (api/cache/versions.ts), measured:
//  1. late-event visibility: a closed range is cached, a late order line is accepted, and we
//     poll the answer until it shows the line: milliseconds from the ingest response;
//  2. what versions cost under continuous ingestion: the dashboard mix of bench/history while
//     orders, trades and storefront events arrive, with versions (CACHE_VERSION_POLL_MS=1000)
//     and without (0, the baseline), alternating in the same runs;
//  3. the poll query itself against 30, 365 and 3650 days of versions per raw table.
// Usage: npx tsx bench/history/versions.ts [--runs 3] [--seconds 8] [--trials 15]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { createClickHouse } from '../../api/clickhouse/client.ts'
import { applyMigrations } from '../../api/clickhouse/migrate.ts'
import { createDataVersions } from '../../api/cache/versions.ts'
import { makeFixtures } from '../../test/support/history-fixtures.ts'
import { dashboardSellers, dashboardWidgets } from './dashboard.ts'
import { auth, ingest, startGateway, tokenFor, type TestGateway } from '../../test/support/gateway.ts'
import { runTsxJson } from '../lib/child.ts'
import { exitCleanlyOnSignals, onInterrupt, stopOnInterrupt } from '../lib/interrupt.ts'
import { machine, writeReport } from '../lib/report.ts'
import { median, percentile } from '../lib/stats.ts'
import type { LoadJob, LoadResult } from './load-client.ts'
// @ts-expect-error plain ESM script without types
import { startRedis } from '../../scripts/redis.mjs'
// @ts-expect-error plain ESM script without types
import { getFreePort } from '../../scripts/lib/proc.mjs'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '8' }, trials: { type: 'string', default: '15' } } })
const runs = Number(values.runs)
const seconds = Number(values.seconds)
const trials = Number(values.trials)
const root = resolve(import.meta.dirname, '../..')
const hour = 3_600_000
const minute = 60_000
const iso = (ms: number) => new Date(ms).toISOString()
const load1 = () => Number(loadavg()[0].toFixed(2))
exitCleanlyOnSignals('bench versions')

function runClient(job: LoadJob): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lh-versions-job-'))
  const file = join(dir, 'job.json')
  writeFileSync(file, JSON.stringify(job))
  return runTsxJson<LoadResult>(join(root, 'bench/history/load-client.ts'), [file]).finally(() => rmSync(dir, { recursive: true, force: true }))
}

async function post(gw: TestGateway, stream: string, events: object[]) {
  const r = await ingest(gw, stream, events)
  if (r.status !== 200) throw new Error(`ingest ${stream}: ${r.status} ${await r.text()}`)
}

/** Orders, trades and storefront events at `perS` per second each, timestamped now, until stopped. */
function trickle(gw: TestGateway, perS: number) {
  let on = true
  let n = 0
  const done = (async () => {
    while (on) {
      const ts = Date.now()
      const k = Math.ceil(perS / 10)
      const f = makeFixtures(ts - 1000, { trades: k, orders: Math.ceil(k / 2), webEvents: k, spanMs: 1000 })
      f.orders.forEach((o) => (o.order_id = `live-${n}-${String(o.order_id)}`))
      f.trades.forEach((t) => (t.id = `live-${n}-${String(t.id)}`))
      n++
      await Promise.all([post(gw, 'orders', f.orders), post(gw, 'trades', f.trades), post(gw, 'web_events', f.webEvents)])
      await sleep(100)
    }
  })()
  return async () => {
    on = false
    await done
  }
}

/** Milliseconds from a late line's ingest response to the first answer of a cached closed range that shows it. */
async function visibility(gw: TestGateway, token: string, trial: number): Promise<number> {
  const shop = `fresh-${trial}-${Date.now()}`
  const t = Math.floor((Date.now() - 35 * minute) / minute) * minute
  const line = (id: string, ts: number, qty: number) => ({ order_id: id, ts, shop_id: shop, customer_id: 'c', product_id: 'p', category: 'x', quantity: qty, unit_price: 1, status: 'completed' })
  await post(gw, 'orders', [line('a', t - 5 * minute, 1)])
  const path = `${gw.url}/api/v1/q/sales_overview?shop=${shop}&from=${iso(t - 10 * minute)}&to=${iso(t + 5 * minute)}`
  const get = async () => {
    const r = await fetch(path, { headers: { authorization: `Bearer ${token}` } })
    return { hit: r.headers.get('x-cache') === 'HIT', revenue: ((await r.json()) as { rows: { revenue: string }[] }).rows[0]?.revenue }
  }
  // Cached, and still a hit after two polls: the key carries the baseline's version, so what follows
  // measures the late line alone (a key from an older reading would move anyway, and sooner).
  for (let settled = 0, deadline = Date.now() + 30_000; settled < 2; ) {
    const a = await get()
    if (a.hit && a.revenue === '1') {
      settled++
      if (settled < 2) await sleep(2500)
    } else settled = 0
    if (Date.now() > deadline) throw new Error('baseline never cached')
    if (!settled) await sleep(100)
  }
  await post(gw, 'orders', [line('b', Date.now() - 35 * minute, 2)])
  const t0 = performance.now()
  for (const deadline = Date.now() + 60_000; ;) {
    if ((await get()).revenue === '3') return performance.now() - t0
    if (Date.now() > deadline) return Infinity
    await sleep(20)
  }
}

async function gatewayRun(redisUrl: string, pollMs: number, measureVisibility: boolean) {
  const gw = stopOnInterrupt(await startGateway({
    REDIS_URL: redisUrl, CACHE_NAMESPACE: `bench-v-${Date.now()}`, DEMO_RATE: '0', LOG_LEVEL: 'warn',
    RATE_LIMIT_TOKEN_PER_S: '10000000', RATE_LIMIT_IP_PER_S: '10000000', CACHE_VERSION_POLL_MS: String(pollMs),
  }))
  try {
    const base = Math.floor(Date.now() / hour) * hour - 3 * hour
    const f = makeFixtures(base, { trades: 10_000, orders: 5_000, webEvents: 10_000 })
    for (const [stream, events] of [['trades', f.trades], ['orders', f.orders], ['web_events', f.webEvents]] as const) {
      for (let i = 0; i < events.length; i += 5000) await post(gw, stream, events.slice(i, i + 5000))
    }
    const sellers = await dashboardSellers()
    const widgets = dashboardWidgets
    // A closed range too: yesterday's sales, which only a late event should recompute.
    const closed = `/api/v1/q/sales_overview?from=${iso(base - 24 * hour)}&to=${iso(base)}`
    const targets = [...widgets, closed].flatMap((path) => sellers.map((_, u) => ({ path, token: u })))
    // Closed ranges only: the answers that carry versions, over earlier hours of today and yesterday.
    const h = Math.floor(Date.now() / hour) * hour
    const closedOnly = [closed, `/api/v1/q/sales_trend?metric=revenue&interval=1h&from=${iso(h - 6 * hour)}&to=${iso(h - hour)}`,
      `/api/v1/q/top_products?by=revenue&from=${iso(h - 6 * hour)}&to=${iso(h - hour)}`, `/api/v1/q/candles?symbol=BTC-USD&interval=1m&from=${iso(h - 4 * hour)}&to=${iso(h - hour)}`]
      .flatMap((path) => sellers.map((_, u) => ({ path, token: u })))
    const stop = trickle(gw, 300)
    await sleep(2000)
    const side = pollMs ? 'on' : 'off'
    const mix = await runClient({ name: `dashboard mix while ingesting, versions ${side}`, url: gw.url, seconds, concurrency: 32, maxRequests: 1_000_000, tokens: sellers, targets })
    const closedMix = await runClient({ name: `closed ranges while ingesting, versions ${side}`, url: gw.url, seconds, concurrency: 32, maxRequests: 1_000_000, tokens: sellers, targets: closedOnly })
    await stop()
    const visible: number[] = []
    if (measureVisibility) {
      const token = await tokenFor(['seller'])
      for (let i = 0; i < trials; i++) visible.push(await visibility(gw, token, i))
    }
    return { mix, closedMix, visible }
  } finally {
    await gw.stop()
  }
}

/** The versions poll (the gateway's own, api/cache/versions.ts) against `days` days per raw table, two of them by hour too. */
async function pollQuery(days: number) {
  const dir = mkdtempSync(join(tmpdir(), 'lh-versions-poll-'))
  const ch = createClickHouse({ dataDir: dir }, 'ops')
  try {
    await applyMigrations(ch)
    const sources = "['trades', 'orders', 'web_events', 'dead_letters']"
    await ch.command({ query: `INSERT INTO data_version_buckets SELECT source, 'd', toDateTime(today() - number), 1000, now64(3) FROM numbers(${days}) ARRAY JOIN ${sources} AS source` })
    await ch.command({ query: `INSERT INTO data_version_buckets SELECT source, 'h', toStartOfHour(now()) - number * 3600, 40, now64(3) FROM numbers(72) ARRAY JOIN ${sources} AS source` })
    await ch.command({ query: `INSERT INTO data_version_buckets SELECT source, 'm', toStartOfMinute(now()) - number * 60, 1, now64(3) FROM numbers(1440) ARRAY JOIN ${sources} AS source` })
    const versions = createDataVersions({ clickhouse: ch, graceMs: 0 })
    const times: number[] = []
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now()
      await versions.poll()
      times.push(performance.now() - t0)
    }
    const tagTimes: number[] = []
    const range = [Date.now() - 7 * 86_400_000, Date.now() - hour] as const
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now()
      for (let k = 0; k < 100_000; k++) versions.tag(['orders'], range)
      tagTimes.push((performance.now() - t0) / 100)
    }
    times.sort((a, b) => a - b)
    return { days, p50Ms: percentile(times, 50)!, p99Ms: percentile(times, 99)!, tagUs: median(tagTimes)! }
  } finally {
    await ch.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main() {
  const redisPort = await getFreePort()
  const redis = await startRedis({ port: redisPort })
  const unregister = onInterrupt(() => redis.stop())
  const perRun: { run: number; load: string; on: LoadResult; off: LoadResult; closedOn: LoadResult; closedOff: LoadResult; visible: number[] }[] = []
  try {
    for (let run = 0; run < runs; run++) {
      const before = load1()
      // Alternate which goes first, so a machine getting busier does not favour one side.
      const first = run % 2 === 0 ? 1000 : 0
      const a = await gatewayRun(redis.url, first, first > 0)
      const b = await gatewayRun(redis.url, 1000 - first, first === 0)
      const [on, off] = first ? [a, b] : [b, a]
      perRun.push({ run: run + 1, load: `${before}→${load1()}`, on: on.mix, off: off.mix, closedOn: on.closedMix, closedOff: off.closedMix, visible: on.visible })
      console.log(`bench versions run ${run + 1}/${runs}: mix on ${on.mix.reqPerS} req/s hit ${on.mix.hitRatio}, off ${off.mix.reqPerS} req/s hit ${off.mix.hitRatio}; closed on hit ${on.closedMix.hitRatio}, off ${off.closedMix.hitRatio}; visible p50 ${median(on.visible)} ms`)
    }
  } finally {
    await redis.stop()
    unregister()
  }
  const polls = [await pollQuery(30), await pollQuery(365), await pollQuery(3650)]
  const visible = perRun.flatMap((r) => r.visible).sort((a, b) => a - b)
  const med = (pick: (r: (typeof perRun)[number]) => number) => median(perRun.map(pick)) ?? 0
  const side = (k: 'on' | 'off' | 'closedOn' | 'closedOff') => ({ reqPerS: med((r) => r[k].reqPerS), p50Ms: med((r) => r[k].p50Ms), p99Ms: med((r) => r[k].p99Ms), hitRatio: med((r) => r[k].hitRatio), errors: perRun.reduce((s, r) => s + r[k].errors, 0) })
  const result = { date: new Date().toISOString(), machine: machine(), runs, seconds, trials, visibleMs: { n: visible.length, p50: percentile(visible, 50), p99: percentile(visible, 99), max: visible.at(-1) }, mix: { on: side('on'), off: side('off') }, closed: { on: side('closedOn'), off: side('closedOff') }, polls, perRun }
  const f = (n: number | null | undefined) => (n == null ? '–' : n === Infinity ? 'never (60 s)' : n >= 100 ? String(Math.round(n)) : n.toFixed(2))
  const md = `# Data versions in the cache key (${result.date})

\`npx tsx bench/history/versions.ts --runs ${runs} --seconds ${seconds} --trials ${trials}\`. Gateway as a child process (embedded chDB, Redis,
DEMO_RATE=0), load client in another; ${runs} runs, each with a gateway with versions (CACHE_VERSION_POLL_MS=1000) and one without (0),
alternating which goes first. Machine: ${result.machine.cpus} cores shared with other work; 1-min load per run: ${perRun.map((r) => r.load).join(', ')}.

## Late event → cached answer shows it
A closed 15-minute range is cached (HIT), then an order line 35 minutes late is accepted; the answer is polled every 20 ms.
From the ingest response to the first answer with the line, ${visible.length} trials over the runs:
p50 **${f(result.visibleMs.p50)} ms**, p99 **${f(result.visibleMs.p99)} ms**, max ${f(result.visibleMs.max)} ms.
Without versions the same answer stays cached for closed_ttl (24 h): never within the test's 60 s.
Expected bound: one poll to read the new count (≤ 1 s) + one poll of grace (1 s) + the query.

## Cost under continuous ingestion (dashboard mix)
8 dashboard widgets (open ranges, \`to=now\`) and yesterday's sales_overview (closed), 50 users over 5 shop scopes, 32 connections,
${seconds} s per run while ~300 orders, trades and storefront events per second each arrive; then closed ranges only (yesterday's
sales_overview; sales_trend, top_products and 1m candles over earlier hours of today), the same way (medians over runs):

| load | versions | req/s | p50 ms | p99 ms | hit ratio | errors |
|---|---|---|---|---|---|---|
${(['mix', 'closed'] as const).flatMap((k) => (['on', 'off'] as const).map((v) => { const x = result[k][v]; return `| ${k === 'mix' ? 'dashboard mix' : 'closed ranges only'} | ${v === 'on' ? 'on (1 s poll)' : 'off (baseline)'} | ${f(x.reqPerS)} | ${f(x.p50Ms)} | ${f(x.p99Ms)} | ${x.hitRatio} | ${x.errors} |` })).join('\n')}

Per run (req/s, hit ratio), to show the noise of a shared machine:
${perRun.map((r) => `- run ${r.run} (load ${r.load}): mix on ${r.on.reqPerS}/${r.on.hitRatio}, off ${r.off.reqPerS}/${r.off.hitRatio}; closed on ${r.closedOn.reqPerS}/${r.closedOn.hitRatio}, off ${r.closedOff.reqPerS}/${r.closedOff.hitRatio}`).join('\n')}

Only closed ranges carry versions (open ones live their open_ttl, 1–5 s): a first version keyed every answer, and under this
ingestion today's count moved every second, so open answers were re-keyed every second; that run measured a hit ratio of
0.076 against 0.136 without versions (bench/results/2026-12-04-cache-versions-every-key.md).
A closed range keeps its key unless a late event lands on one of its minutes (since the previous hour), hours (since yesterday) or days (before).

## The poll and the key
The gateway's poll (api/cache/versions.ts on data_version_buckets: days, 72 hours and 1440 minutes per raw table, of which it
reads minutes from the previous hour, hours back to yesterday, days before) with four raw tables, 200 polls each, in-process
chDB; and the cost of one key's version text for a 7-day range (median of 5 × 100k):

| days per table | poll p50 ms | poll p99 ms | tag µs |
|---|---|---|---|
${polls.map((p) => `| ${p.days} | ${f(p.p50Ms)} | ${f(p.p99Ms)} | ${f(p.tagUs)} |`).join('\n')}
`
  console.log(writeReport('cache-versions', result, md).join('\n'))
}

void main().catch((e) => {
  console.error(e)
  process.exit(1)
})
