// Historical API benchmark: the real gateway as a child process with Redis, the load
// client in a process of its own (bench/history/load-client.ts). Each run measures, in
// order: a cached query (L1 hits), uncached queries (distinct closed ranges, so every one
// runs in ClickHouse) and a realistic dashboard mix; figures are medians over the runs.
import { setTimeout as sleep } from 'node:timers/promises'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { makeFixtures } from '../../test/support/history-fixtures.ts'
import { dashboardSellers, dashboardWidgets } from './dashboard.ts'
import { auth, ingest, removeDir, startGateway, tokenFor } from '../../test/support/gateway.ts'
import { barChartSvg, machine, writeReport } from '../lib/report.ts'
import { median } from '../lib/stats.ts'
import { onInterrupt, stopOnInterrupt } from '../lib/interrupt.ts'
import { runTsxJson } from '../lib/child.ts'
import type { LoadJob, LoadResult } from './load-client.ts'
// @ts-expect-error plain ESM script without types
import { startRedis, stopRedis } from '../../scripts/redis.mjs'
// @ts-expect-error plain ESM script without types
import { getFreePort } from '../../scripts/lib/proc.mjs'

const root = resolve(import.meta.dirname, '../..')
const hour = 3600_000

export interface HistoryScenarioOptions {
  name: string
  /** Default 3. */
  runs?: number
  /** Seconds per phase; default 8. */
  seconds?: number
  /** Connections of the cached and mix phases (default 32; the uncached phase uses 4). */
  concurrency?: number
  /** The gateway's LOG_LEVEL (default warn). */
  logLevel?: string
  /** Write a V8 CPU profile of the gateway to this directory. */
  cpuProfileDir?: string
}

const targets = { cachedReqPerS: 5000, cachedP99Ms: 20, uncachedP99Ms: 200, mixHitRatio: 0.95 }

/** Runs the client in its own Node process on one job; resolves with its figures. */
export function runClient(job: LoadJob): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lh-history-job-'))
  const file = join(dir, 'job.json')
  writeFileSync(file, JSON.stringify(job))
  return runTsxJson<LoadResult>(join(root, 'bench/history/load-client.ts'), [file]).finally(() => rmSync(dir, { recursive: true, force: true }))
}

export async function loadFixtures(gw: { url: string }, base: number) {
  const f = makeFixtures(base, { trades: 20_000, orders: 10_000, webEvents: 20_000 })
  for (const [stream, events] of [['trades', f.trades], ['orders', f.orders], ['web_events', f.webEvents]] as const) {
    for (let i = 0; i < events.length; i += 5000) {
      const r = await ingest(gw, stream, events.slice(i, i + 5000))
      if (r.status !== 200) throw new Error(`ingest ${stream}: ${r.status} ${await r.text()}`)
    }
  }
  // Wait until every row is in ClickHouse (the analyst SQL door of the gateway).
  const analyst = await tokenFor(['analyst'])
  const want = `${f.trades.length}\t${f.orders.length}\t${f.webEvents.length}`
  const query = 'SELECT (SELECT count() FROM trades), (SELECT count() FROM orders), (SELECT count() FROM web_events) FORMAT TSV'
  for (const deadline = Date.now() + 60_000; ;) {
    const r = await fetch(`${gw.url}/api/v1/sql?query=${encodeURIComponent(query)}`, { headers: { authorization: `Bearer ${analyst}` } })
    if ((await r.text()).trim() === want) return
    if (Date.now() > deadline) throw new Error('fixtures did not reach ClickHouse in 60 s')
    await sleep(200)
  }
}

const load1 = () => Number(loadavg()[0].toFixed(2))

export async function historyScenario(options: HistoryScenarioOptions) {
  const { runs = 3, seconds = 8, concurrency = 32, logLevel = 'warn' } = options
  const uncachedConcurrency = 4
  const redisPort = await getFreePort()
  // Redis runs detached in its own process group: registered before it starts, so a Ctrl-C while it boots stops it too.
  const unregisterRedis = onInterrupt(() => stopRedis({ port: redisPort }))
  const redis = await startRedis({ port: redisPort })
  const gw = stopOnInterrupt(await startGateway({
    REDIS_URL: redis.url, CACHE_NAMESPACE: `bench-${Date.now()}`, DEMO_RATE: '0', LOG_LEVEL: logLevel,
    // Limits on but out of reach: the limiter's cost is measured, its 429s are not.
    RATE_LIMIT_TOKEN_PER_S: '10000000', RATE_LIMIT_IP_PER_S: '10000000',
    // --cpu-prof is not allowed in NODE_OPTIONS, so the profile is taken by a preloaded inspector session.
    ...(options.cpuProfileDir && { NODE_OPTIONS: `--import=${import.meta.dirname}/cpu-profile.mjs`, BENCH_CPU_PROF: options.cpuProfileDir }),
  }).catch(async (e) => {
    await redis.stop()
    unregisterRedis()
    throw e
  }))
  try {
    const base = Math.floor(Date.now() / hour) * hour - 3 * hour
    await loadFixtures(gw, base)
    const admin = await tokenFor(['admin'])
    // 50 sellers over 5 shop scopes, each loading the same 8-widget dashboard.
    const sellers = await dashboardSellers()
    const widgets = dashboardWidgets
    const iso = (ms: number) => new Date(ms).toISOString()
    const overview = `/api/v1/q/sales_overview?from=${iso(base)}&to=${iso(base + 2 * hour)}`
    const perRun: { run: number; load1Before: number; load1After: number; cached: LoadResult; alone: LoadResult; uncached: LoadResult; mix: LoadResult }[] = []
    for (let run = 0; run < runs; run++) {
      const load1Before = load1()
      const job = (name: string, tokens: string[], list: LoadJob['targets'], c: number, maxRequests = 1_000_000): LoadJob =>
        ({ name, url: gw.url, seconds, concurrency: c, maxRequests, tokens, targets: list })
      await fetch(gw.url + overview, { headers: { authorization: `Bearer ${admin}` } })
      const cached = await runClient(job('cached sales_overview', [admin], [{ path: overview, token: 0 }], concurrency))
      // Every request a distinct closed two-hour range (seconds apart): every one runs in ClickHouse.
      // k starts at 1: k = 0 would be the cached phase's own range, a hit.
      const uncachedPaths = Array.from({ length: 5000 }, (_, i) => {
        const k = run * 5000 + i + 1
        return { path: `/api/v1/q/sales_overview?from=${iso(base + k * 1000)}&to=${iso(base + 2 * hour + k * 1000)}`, token: 0 }
      })
      // One query's own time, for reading the uncached phase's queueing: distinct ranges ending before those above.
      const alonePaths = Array.from({ length: 40 }, (_, i) => {
        const k = run * 40 + i + 1
        return { path: `/api/v1/q/sales_overview?from=${iso(base - k * 1000)}&to=${iso(base + 2 * hour - k * 1000)}`, token: 0 }
      })
      const alone = await runClient(job('uncached sales_overview, one at a time', [admin], alonePaths, 1, alonePaths.length))
      const uncached = await runClient(job('uncached sales_overview', [admin], uncachedPaths, uncachedConcurrency, uncachedPaths.length))
      const mixTargets = Array.from({ length: widgets.length * sellers.length }, (_, i) => ({ path: widgets[i % widgets.length], token: Math.floor(i / widgets.length) }))
      const mix = await runClient(job('dashboard mix (8 widgets × 50 users)', sellers, mixTargets, concurrency))
      perRun.push({ run: run + 1, load1Before, load1After: load1(), cached, alone, uncached, mix })
      console.log(`bench history run ${run + 1}/${runs}: cached ${cached.reqPerS} req/s p99 ${cached.p99Ms} ms; uncached ${uncached.reqPerS} req/s p99 ${uncached.p99Ms} ms; mix ${mix.reqPerS} req/s hit ${mix.hitRatio}; load ${load1Before}→${load1()}`)
    }
    const med = (pick: (r: (typeof perRun)[number]) => number) => median(perRun.map(pick)) ?? 0
    const phase = (k: 'cached' | 'alone' | 'uncached' | 'mix') => ({
      name: perRun[0][k].name, reqPerS: med((r) => r[k].reqPerS), p50Ms: med((r) => r[k].p50Ms), p99Ms: med((r) => r[k].p99Ms),
      maxP99Ms: Math.max(...perRun.map((r) => r[k].p99Ms)), hitRatio: med((r) => r[k].hitRatio), errors: perRun.reduce((s, r) => s + r[k].errors, 0),
      clientCpuShare: med((r) => r[k].clientCpuShare),
    })
    const cached = phase('cached')
    const alone = phase('alone')
    const uncached = phase('uncached')
    const mix = phase('mix')
    const met = {
      cached: cached.reqPerS >= targets.cachedReqPerS && cached.p99Ms <= targets.cachedP99Ms,
      uncached: uncached.p99Ms <= targets.uncachedP99Ms,
      mixHitRatio: mix.hitRatio >= targets.mixHitRatio,
    }
    const summary = { runs, seconds, concurrency, uncachedConcurrency, cached, alone, uncached, mix, met, load1: perRun.map((r) => [r.load1Before, r.load1After]) }
    const yes = (b: boolean) => (b ? 'met' : 'missed')
    const md = [
      `# Historical API benchmark (${new Date().toISOString()})`,
      '',
      `Gateway (\`api/main.ts\`, embedded chDB, Redis, LOG_LEVEL=${logLevel}, rate limits on but out of reach) in its own process; load client in another`,
      `(raw HTTP/1.1 keep-alive, no pipelining, closed loop: ${concurrency} connections for cached and mix, ${uncachedConcurrency} for uncached); ${runs} runs × ${seconds} s per phase;`,
      `figures are medians over the runs (p99 per run, then the median; "worst p99" is the worst run). Machine: ${availableParallelism()} cores (os.availableParallelism) shared with other work;`,
      `1-min load average before → after each run: ${summary.load1.map(([a, b]) => `${a}→${b}`).join(', ')}.`,
      '',
      '| phase | req/s | p50 ms | p99 ms | worst p99 ms | hit ratio | errors | client CPU (cores) |',
      '|---|---|---|---|---|---|---|---|',
      ...[cached, uncached, mix].map((p) => `| ${p.name} | ${p.reqPerS} | ${p.p50Ms} | ${p.p99Ms} | ${p.maxP99Ms} | ${p.hitRatio} | ${p.errors} | ${p.clientCpuShare} |`),
      '',
      `Uncached: catalog parameters are rendered as literals on QUERY_CONNECTIONS connections (chdb-node would chain bound queries process-wide), so up to that many run at once, sharing the cores; latency ≈ connections in flight × query time / cores`
        + ` (sales_overview alone, same runs: p50 ${alone.p50Ms} ms, p99 ${alone.p99Ms} ms over ${perRun[0].alone.requests} requests one at a time per run).`,
      '',
      `Targets (issue 4): cached ≥ ${targets.cachedReqPerS} req/s with p99 ≤ ${targets.cachedP99Ms} ms — ${yes(met.cached)}; uncached dashboard query p99 ≤ ${targets.uncachedP99Ms} ms — ${yes(met.uncached)}; dashboard mix hit ratio ≥ ${targets.mixHitRatio * 100}% — ${yes(met.mixHitRatio)}.`,
      '',
    ].join('\n')
    const svg = barChartSvg('historical API, req/s (median of runs)', 'req/s', [
      { label: 'cached (L1)', value: cached.reqPerS },
      { label: 'uncached', value: uncached.reqPerS },
      { label: 'dashboard mix', value: mix.reqPerS },
    ])
    const files = writeReport(options.name, { scenario: options.name, machine: machine(), options: { runs, seconds, concurrency, uncachedConcurrency, logLevel }, targets, summary, runs: perRun }, md, svg)
    return { summary, files }
  } finally {
    await gw.stop()
    removeDir(gw.dataDir)
    await redis.stop()
    unregisterRedis()
  }
}
