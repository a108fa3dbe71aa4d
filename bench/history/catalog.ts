// Uncached catalog queries, this checkout against an older one (--baseline DIR) in the same
// runs (issue 16 item 3): both gateways run side by side with the same fixtures and one Redis
// (own namespaces); each run measures every query on each code in turn (the order alternates
// run by run), every request a distinct closed range (milliseconds apart), so every one runs
// in ClickHouse. Reports req/s, p50/p99 and the gateway's CPU per request, per query and code.
import { loadavg } from 'node:os'
import { cpuSeconds, root, startGatewayProc } from '../live/processes.ts'
import { barChartSvg, machine, writeReport } from '../lib/report.ts'
import { median } from '../lib/stats.ts'
import { onInterrupt } from '../lib/interrupt.ts'
import { testSecret, tokenFor } from '../../test/support/gateway.ts'
import type { LoadResult } from './load-client.ts'
import { loadFixtures, runClient } from './scenario.ts'
// @ts-expect-error plain ESM script without types
import { startRedis, stopRedis } from '../../scripts/redis.mjs'
// @ts-expect-error plain ESM script without types
import { getFreePort } from '../../scripts/lib/proc.mjs'

export interface CatalogScenarioOptions {
  name: string
  runs: number
  /** Seconds per query, code and run. */
  seconds: number
  /** Connections of the load client (closed loop). */
  concurrency: number
  /** Another checkout (`git archive main | tar -x -C DIR` + a node_modules link): the "before" code. */
  baseline?: string
  /** Extra gateway environment for this checkout only (e.g. QUERY_CONNECTIONS=2). */
  env?: Record<string, string>
}

const hour = 3600_000
/** The dashboard's queries over a closed two-hour range; the range is appended per request. */
const queries: Record<string, string> = {
  sales_overview: '',
  sales_trend: 'metric=revenue&interval=1h&',
  top_products: 'by=revenue&',
  category_breakdown: '',
  funnel: '',
  candles: 'symbol=BTC-USD&interval=1m&',
}
const target = { ratio: 4, p99Ms: 100 }

type Code = 'after' | 'before'
interface Phase extends LoadResult { code: Code; query: string; run: number; cpuMsPerRequest: number; load1: number }

export async function catalogScenario(o: CatalogScenarioOptions) {
  const codes: Code[] = o.baseline ? ['after', 'before'] : ['after']
  const redisPort = await getFreePort()
  const unregisterRedis = onInterrupt(() => stopRedis({ port: redisPort }))
  const redis = await startRedis({ port: redisPort })
  const gateways = new Map<Code, Awaited<ReturnType<typeof startGatewayProc>>>()
  try {
    const base = Math.floor(Date.now() / hour) * hour - 3 * hour
    for (const code of codes) {
      const gw = await startGatewayProc({
        AUTH_SECRET: testSecret, REDIS_URL: redis.url, CACHE_NAMESPACE: `bench-catalog-${code}-${Date.now()}`,
        RATE_LIMIT_TOKEN_PER_S: '0', RATE_LIMIT_IP_PER_S: '0', ...(code === 'after' ? o.env : {}),
      }, [], code === 'before' ? o.baseline! : root)
      gateways.set(code, gw)
      await loadFixtures(gw, base)
    }
    const admin = await tokenFor(['admin'])
    const iso = (ms: number) => new Date(ms).toISOString()
    const phases: Phase[] = []
    let k = 0
    for (let run = 1; run <= o.runs; run++) {
      const order = run % 2 === 1 ? codes : [...codes].reverse()
      for (const code of order) {
        const gw = gateways.get(code)!
        for (const [query, extra] of Object.entries(queries)) {
          // Distinct closed ranges a millisecond apart: the same work, a new cache key each.
          const targets = Array.from({ length: 50_000 }, () => (k++, { path: `/api/v1/q/${query}?${extra}from=${iso(base + k)}&to=${iso(base + 2 * hour + k)}`, token: 0 }))
          const cpu0 = cpuSeconds(gw.pid)
          const r = await runClient({ name: query, url: gw.url, seconds: o.seconds, concurrency: o.concurrency, maxRequests: targets.length, tokens: [admin], targets })
          const cpuMsPerRequest = ((cpuSeconds(gw.pid) - cpu0) * 1000) / Math.max(1, r.requests)
          phases.push({ ...r, code, query, run, cpuMsPerRequest: Number(cpuMsPerRequest.toFixed(2)), load1: Number(loadavg()[0].toFixed(2)) })
          console.log(`bench catalog run ${run}/${o.runs} ${code.padEnd(6)} ${query.padEnd(18)} ${r.reqPerS} req/s p50 ${r.p50Ms} p99 ${r.p99Ms} ms, ${cpuMsPerRequest.toFixed(1)} ms CPU/request, errors ${r.errors}, load ${loadavg()[0].toFixed(2)}`)
        }
      }
    }
    return report(o, codes, phases)
  } finally {
    for (const gw of gateways.values()) await gw.stop()
    await redis.stop()
    unregisterRedis()
  }
}

interface Stats { reqPerS: number; p50Ms: number; p99Ms: number; worstP99Ms: number; cpuMsPerRequest: number; errors: number; runs: number[] }

function report(o: CatalogScenarioOptions, codes: Code[], phases: Phase[]) {
  const pick = (code: Code, query: string) => phases.filter((p) => p.code === code && p.query === query)
  const med = (ps: Phase[], f: (p: Phase) => number) => median(ps.map(f)) ?? 0
  const stats = (ps: Phase[]): Stats => ({
    reqPerS: med(ps, (p) => p.reqPerS), p50Ms: med(ps, (p) => p.p50Ms), p99Ms: med(ps, (p) => p.p99Ms), worstP99Ms: Math.max(...ps.map((p) => p.p99Ms)),
    cpuMsPerRequest: med(ps, (p) => p.cpuMsPerRequest), errors: ps.reduce((n, p) => n + p.errors, 0), runs: ps.map((p) => p.reqPerS),
  })
  const summary = Object.keys(queries).map((query) => {
    const byCode: Partial<Record<Code, Stats>> = Object.fromEntries(codes.map((code) => [code, stats(pick(code, query))]))
    // Per run: this checkout's req/s over the baseline's in the same run (the noise band).
    const ratios = o.baseline ? pick('after', query).map((a, i) => Number((a.reqPerS / Math.max(1, pick('before', query)[i].reqPerS)).toFixed(2))) : []
    return { query, ...byCode, ratios, ratio: median(ratios) }
  })
  const overview = summary.find((s) => s.query === 'sales_overview')!
  const met = o.baseline ? { ratio: overview.ratios.every((r) => r >= target.ratio), p99: overview.after!.p99Ms <= target.p99Ms } : undefined
  const cell = (c: Stats | undefined) => (c ? `${c.reqPerS} | ${c.p50Ms} | ${c.p99Ms} | ${c.cpuMsPerRequest}` : '– | – | – | –')
  const loads = phases.map((p) => p.load1)
  const env = Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')
  const md = [
    `# Uncached catalog queries: this checkout${o.baseline ? ' vs the baseline' : ''} (${new Date().toISOString()})`,
    '',
    `Gateways (\`api/main.ts\`, embedded chDB, one Redis, rate limits off): this checkout${env ? ` (${env})` : ''}` +
      (o.baseline ? ` and the code at \`${o.baseline}\`` : '') + ', side by side, the same fixtures (the history scenario\'s: 10,000 orders, 20,000 trades and web events over two hours).',
    `Load client in its own process: ${o.concurrency} keep-alive connections, closed loop, every request a distinct closed two-hour range (a cache miss each); ${o.seconds} s per query, code and run; ${o.runs} runs, the codes' order alternating run by run.`,
    `Figures are medians over the runs; "CPU ms/req" is the gateway's whole process (chDB's threads included) per answered request. 1-min load average during the phases: ${Math.min(...loads)}–${Math.max(...loads)}.`,
    '',
    '| query | after req/s | p50 ms | p99 ms | CPU ms/req | before req/s | p50 ms | p99 ms | CPU ms/req | after/before per run |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...summary.map((s) => `| ${s.query} | ${cell(s.after)} | ${cell(s.before)} | ${s.ratios.join(', ') || '–'} |`),
    '',
    met ? `Target (issue 16 item 3): sales_overview uncached ≥ ${target.ratio}× the baseline's req/s in every run — ${met.ratio ? 'met' : 'missed'} (runs: ${overview.ratios.join(', ')}); p99 ≤ ${target.p99Ms} ms — ${met.p99 ? 'met' : 'missed'} (${overview.after!.p99Ms} ms).` : '',
    '',
  ].join('\n')
  const svg = barChartSvg('uncached catalog queries, req/s (median of runs)', 'req/s', summary.flatMap((s) => codes.map((code) => ({ label: `${s.query} ${code}`, value: s[code]!.reqPerS }))))
  const files = writeReport(o.name, { scenario: o.name, machine: machine(), options: { ...o, queries }, target, summary, met, phases }, md, svg)
  return { summary, files }
}
