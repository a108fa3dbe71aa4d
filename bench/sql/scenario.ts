// Analyst SQL port resource safety (issue 15 item 4): what one heavy analyst query costs
// everyone else. The real gateway runs as a child process with the demo generator feeding
// ingestion and a WebSocket client watching live candles; each run measures three phases of
// the same length, the first a baseline with no analyst query:
//   idle  — nothing on the SQL port;
//   count — an analyst runs SELECT count() FROM numbers(1e12) (until it is cancelled);
//   sort  — an analyst runs a sort of 1e8 rows.
// Per phase: /health latency (p50/p99, serial requests from this process) and the live tick
// time (the gateway's livehouse_live_last_tick_seconds, sampled every 100 ms). Medians over runs.
import WebSocket from 'ws'
import { loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { removeDir, startGateway, tokenFor, type TestGateway } from '../../test/support/gateway.ts'
import { C, encodeClientFrame } from '../../api/protocol/index.ts'
import { barChartSvg, machine, writeReport } from '../lib/report.ts'
import { median, percentile } from '../lib/stats.ts'
import { onInterrupt } from '../lib/interrupt.ts'
// @ts-expect-error plain ESM script without types
import { getFreePort } from '../../scripts/lib/proc.mjs'

export interface SqlScenarioOptions {
  name: string
  runs: number
  seconds: number
}

const heavy: Record<string, string | undefined> = {
  idle: undefined,
  count: 'SELECT count() FROM numbers(1000000000000)',
  sort: 'SELECT number FROM numbers(100000000) ORDER BY sipHash64(number) LIMIT 1 OFFSET 50000000',
}

interface Phase {
  healthP50Ms: number | null
  healthP99Ms: number | null
  healthRequests: number
  tickP50Ms: number | null
  tickMaxMs: number | null
  analystStatus: string
}

async function measurePhase(gw: TestGateway, sqlPort: number, token: string, query: string | undefined, seconds: number): Promise<Phase> {
  const abort = new AbortController()
  const analyst = query
    ? fetch(`http://127.0.0.1:${sqlPort}/`, { method: 'POST', body: query, headers: { 'X-ClickHouse-Key': token }, signal: abort.signal })
      .then(async (r) => `${r.status} ${r.headers.get('x-clickhouse-exception-code') ?? ''}`.trim(), (e: Error) => (e.name === 'AbortError' ? 'cancelled at phase end' : e.message))
    : Promise.resolve('none')
  // Let the heavy query get going before measuring.
  if (query) await sleep(1000)
  const health: number[] = []
  const ticks: number[] = []
  const until = Date.now() + seconds * 1000
  const sampler = (async () => {
    while (Date.now() < until) {
      const text = await (await fetch(`${gw.url}/metrics`)).text()
      const m = /^livehouse_live_last_tick_seconds (\S+)$/m.exec(text)
      if (m) ticks.push(Number(m[1]) * 1000)
      await sleep(100)
    }
  })()
  while (Date.now() < until) {
    const t0 = performance.now()
    await (await fetch(`${gw.url}/health`)).arrayBuffer()
    health.push(performance.now() - t0)
    await sleep(10)
  }
  await sampler
  abort.abort()
  const status = await analyst
  health.sort((a, b) => a - b)
  ticks.sort((a, b) => a - b)
  return { healthP50Ms: percentile(health, 50), healthP99Ms: percentile(health, 99), healthRequests: health.length, tickP50Ms: percentile(ticks, 50), tickMaxMs: ticks.at(-1) ?? null, analystStatus: status }
}

function watchLive(gw: TestGateway, token: string): WebSocket {
  const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/ws`, 'livehouse.v1', { headers: { Authorization: `Bearer ${token}` } })
  ws.on('open', () => ws.send(encodeClientFrame({ op: C.SUBSCRIBE, sid: 1, channel: 'candles', params: { symbol: 'BTC-USD', interval: '1s' } })))
  ws.on('error', () => {})
  return ws
}

export async function sqlScenario(o: SqlScenarioOptions) {
  const runs: Record<string, Phase>[] = []
  // The machine is shared: its load is part of every figure, so it is reported with them.
  const load: number[] = []
  for (let run = 0; run < o.runs; run++) {
    const sqlPort = await getFreePort()
    const gw = await startGateway({ SQL_PORT: String(sqlPort), DEMO_RATE: '2000', LOG_LEVEL: 'warn' })
    const unregister = onInterrupt(() => gw.stop(true))
    const ws = watchLive(gw, await tokenFor(['trader']))
    try {
      const token = await tokenFor(['analyst'])
      await sleep(3000) // demo data and the live channel warm up
      const phases: Record<string, Phase> = {}
      for (const [name, query] of Object.entries(heavy)) {
        phases[name] = await measurePhase(gw, sqlPort, token, query, o.seconds)
        console.log(`sql run ${run + 1}/${o.runs} ${name}: ${JSON.stringify(phases[name])}`)
        await sleep(1000) // the cancelled query leaves the engine
      }
      runs.push(phases)
      load.push(loadavg()[0])
    } finally {
      ws.close()
      await gw.stop()
      removeDir(gw.dataDir)
      unregister()
    }
  }
  const summary = Object.fromEntries(Object.keys(heavy).map((name) => {
    const of = (k: keyof Phase) => median(runs.map((r) => r[name][k]).filter((v): v is number => typeof v === 'number'))
    const spread = (k: keyof Phase) => runs.map((r) => r[name][k])
    return [name, { healthP50Ms: of('healthP50Ms'), healthP99Ms: of('healthP99Ms'), tickP50Ms: of('tickP50Ms'), tickMaxMs: of('tickMaxMs'),
      perRun: { healthP99Ms: spread('healthP99Ms'), tickMaxMs: spread('tickMaxMs'), analystStatus: spread('analystStatus') } }]
  }))
  const fmt = (v: unknown) => (typeof v === 'number' ? v.toFixed(1) : String(v))
  const rows = Object.entries(summary).map(([name, s]) => `| ${name} | ${fmt(s.healthP50Ms)} | ${fmt(s.healthP99Ms)} | ${fmt(s.tickP50Ms)} | ${fmt(s.tickMaxMs)} | ${s.perRun.healthP99Ms.map(fmt).join(' / ')} | ${s.perRun.analystStatus.join(' / ')} |`)
  const md = `# SQL port resource safety (${new Date().toISOString()})\n\n${o.runs} runs × ${o.seconds} s per phase; medians over runs. ` +
    'Baseline: `idle`, measured in the same run. Gateway with the demo generator (2,000 events/s) and one live candle watcher; caps as default ' +
    '(SQL_MAX_THREADS=1, SQL_MAX_EXECUTION_S=60).\n\n| phase | /health p50 ms | /health p99 ms | tick p50 ms | tick max ms | /health p99 per run | analyst query |\n|---|---|---|---|---|---|---|\n' +
    `${rows.join('\n')}\n\nLoad average (1 min) at the end of each run: ${load.map((l) => l.toFixed(1)).join(' / ')} on ${machine().cpus} cores.\n\nMachine: ${JSON.stringify(machine())}\n`
  const svg = barChartSvg('/health p99 while an analyst query runs', 'ms', Object.entries(summary).map(([label, s]) => ({ label, value: s.healthP99Ms ?? 0 })))
  const files = writeReport(o.name, { scenario: 'sql', machine: machine(), options: o, loadAverage1m: load, summary, runs }, md, svg)
  return { summary, files }
}
