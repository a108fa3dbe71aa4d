// `npm run bench -- --scenario NAME [options]`: runs one benchmark scenario, starting what
// it needs (Kafka, Redis, the gateway, Chromium, k6) and writing
// bench/results/<date>-<name>.{json,md,svg}. `--scenario list` shows the scenarios.
//
// Options (each scenario reads those that apply to it; defaults per scenario in `list`):
//   --runs N --seconds S --name NAME          every scenario (ui and k6: --seconds only)
//   --clients N --channels N --events-per-s N live: clients, candle channels, ingestion target
//   --client go|node --client-procs N         live: load client and its process count
//   --tick-ms MS                              live: the gateway's LIVE_TICK_MS
//   --concurrency N --log-level LEVEL         history: connections of the cached and mix phases; gateway LOG_LEVEL; catalog: connections
//   --cpu-prof DIR                            live, history, alerts: write a V8 CPU profile of the gateway to DIR
//   --rates R1,R2,… --warmup S --probe S     quiet: demo rates (events/s; 0 = idle), warm-up and freshness-probe seconds
//   --baseline DIR                            quiet, ingest, catalog: also measure the checkout at DIR in the same runs ("before")
//   --modes M1,M2 --concurrency N             ingest: only these modes ('embedded dedup on', or 'kafka' for all of its); requests in flight (default 4)
//   --env K=V,K=V                             quiet: extra gateway environment for every code measured; catalog: for this checkout only
//   --compare-env K=V,K=V                     live: also measure a second gateway with this environment in every run (e.g. INGEST_PARSE_THREADS=0)
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { ingestScenario } from './ingest/scenario.ts'
import { k6Scenario } from './k6/scenario.ts'
import { runLiveScenario, type LiveScenarioOptions } from './live/scenario.ts'
import { goClientCompareScenario } from './live/go-client-compare.ts'
import { historyScenario } from './history/scenario.ts'
import { catalogScenario } from './history/catalog.ts'
import { sqlScenario } from './sql/scenario.ts'
import { floodScenario } from './live/flood.ts'
import { overloadScenario } from './overload/scenario.ts'
import { insightsScenario } from './insights/scenario.ts'
import { quietScenario } from './quiet/scenario.ts'
import { compressionScenario } from './compression/scenario.ts'
import { machine, writeReport } from './lib/report.ts'
import { exitCleanlyOnSignals, onInterrupt } from './lib/interrupt.ts'
import { runTsx } from './lib/child.ts'
// @ts-expect-error plain ESM script without types
import { startKafka, stopKafka } from '../scripts/kafka.mjs'
// @ts-expect-error plain ESM script without types
import { getFreePort } from '../scripts/lib/proc.mjs'

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'quick' },
    runs: { type: 'string' },
    seconds: { type: 'string' },
    name: { type: 'string' },
    clients: { type: 'string' },
    channels: { type: 'string' },
    'events-per-s': { type: 'string' },
    client: { type: 'string' },
    'client-procs': { type: 'string' },
    'tick-ms': { type: 'string' },
    concurrency: { type: 'string' },
    'log-level': { type: 'string' },
    'cpu-prof': { type: 'string' },
    rates: { type: 'string' },
    warmup: { type: 'string' },
    probe: { type: 'string' },
    baseline: { type: 'string' },
    env: { type: 'string' },
    'compare-env': { type: 'string' },
    modes: { type: 'string' },
  },
})
const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v))
const optNum = (v: string | undefined) => (v === undefined ? undefined : Number(v))
/** `K=V,K=V` as an environment (a value may hold `=`, as NODE_OPTIONS=--flag=1 does). */
const envList = (v: string | undefined): Record<string, string> => Object.fromEntries((v ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
if (values.client !== undefined && values.client !== 'go' && values.client !== 'node') throw new Error('--client: go or node')
const cpuProfileDir = values['cpu-prof'] && resolve(values['cpu-prof'])

exitCleanlyOnSignals('bench')

async function withKafka<T>(fn: (brokers: string) => Promise<T>): Promise<T> {
  const dataDir = resolve(import.meta.dirname, '../.cache/kafka/bench')
  // Registered before the start: a Ctrl-C while the broker boots must stop it too.
  const unregister = onInterrupt(() => stopKafka({ dataDir }))
  try {
    const kafka: { brokers: string } = await startKafka({ dataDir, port: await getFreePort(), fresh: true })
    return await fn(kafka.brokers)
  } finally {
    await stopKafka({ dataDir })
    unregister()
  }
}

type Part = () => Promise<unknown>
const parts = {
  ingest: (runs: number, seconds: number, name = 'ingest'): Part => () =>
    withKafka((brokers) => ingestScenario({
      name, runs, seconds, kafkaBrokers: brokers, baseline: values.baseline && resolve(values.baseline),
      concurrency: optNum(values.concurrency), modes: values.modes?.split(','),
    })),
  live: (o: Pick<LiveScenarioOptions, 'name' | 'runs' | 'seconds' | 'clients' | 'eventsPerS'>): Part => () =>
    runLiveScenario({
      ...o, channels: num(values.channels, 4), client: values.client as LiveScenarioOptions['client'],
      clientProcs: optNum(values['client-procs']), tickMs: optNum(values['tick-ms']), cpuProfileDir, compareEnv: envList(values['compare-env']),
    }),
  history: (runs: number | undefined, seconds: number | undefined, name = 'history'): Part => () =>
    historyScenario({ name, runs, seconds, concurrency: optNum(values.concurrency), logLevel: values['log-level'], cpuProfileDir }),
  // The UI bench is a CLI of its own (it writes its own result files).
  ui: (seconds: number): Part => () => runTsx(resolve(import.meta.dirname, 'ui/run.ts'), ['--seconds', String(seconds)], { inherit: true }),
  k6: (seconds: number): Part => () => k6Scenario({ name: 'k6', seconds, httpVus: 20, wsVus: 500 }),
}

const scenarios: Record<string, { about: string; run: Part }> = {
  quick: {
    about: 'one 5 s run each of ingestion (embedded + Kafka), live fan-out (1,000 clients, 20k trades/s target) vs its JSON baseline, and history cached vs uncached (< 3 min)',
    run: async () => {
      type Done = { summary: unknown; files: string[] }
      const seconds = num(values.seconds, 5)
      const ingest = (await parts.ingest(1, seconds, 'quick-ingest')()) as Done
      const live = (await parts.live({ name: 'quick-live', runs: 1, seconds, clients: num(values.clients, 1000), eventsPerS: num(values['events-per-s'], 20_000) })()) as Done
      const history = (await parts.history(1, seconds, 'quick-history')()) as Done
      const all = [...ingest.files, ...live.files, ...history.files]
      const files = writeReport('quick', { scenario: 'quick', machine: machine(), ingest: ingest.summary, live: live.summary, history: history.summary },
        `# Quick benchmark (${new Date().toISOString()})\n\nSee ${all.filter((f) => f.endsWith('.md')).map((f) => `\`${f.split('/').at(-1)}\``).join(', ')}.\n`)
      return { files: [...all, ...files] }
    },
  },
  ingest: { about: 'ingestion: embedded and Kafka, deduplication on and off, 3 runs × 15 s, events/s, freshness, loss, chDB insert ceiling', run: parts.ingest(num(values.runs, 3), num(values.seconds, 15), values.name) },
  live: {
    about: 'live fan-out: 10,000 clients × 4 channels, ingesting at a 100k trades/s open-loop target, vs plain ws + JSON snapshots, 3 runs × 20 s',
    run: parts.live({ name: values.name ?? 'live', runs: num(values.runs, 3), seconds: num(values.seconds, 20), clients: num(values.clients, 10_000), eventsPerS: num(values['events-per-s'], 100_000) }),
  },
  history: { about: 'historical API: uncached vs cached, dashboard mix hit ratio, 3 runs × 8 s per phase', run: parts.history(optNum(values.runs), optNum(values.seconds), values.name) },
  catalog: {
    about: 'uncached catalog queries (sales_overview and 5 more dashboard queries) at 16 connections: req/s, p50/p99, CPU per request; --baseline DIR measures older code in the same runs; 3 runs × 5 s per query and code',
    run: () => catalogScenario({
      name: values.name ?? 'catalog', runs: num(values.runs, 3), seconds: num(values.seconds, 5), concurrency: num(values.concurrency, 16), baseline: values.baseline && resolve(values.baseline),
      env: envList(values.env),
    }),
  },
  overload: {
    about: 'watchers and ingestion at 2× what the gateway takes while serving them (measured first, closed loop): watcher p99 vs the bare-uWS floor, event→client p99, ingest offered/accepted/refused per s, shedding off vs on; 5,000 clients × 4 channels, 3 runs × 15 s per phase',
    run: () => overloadScenario({ name: values.name ?? 'overload', runs: num(values.runs, 3), seconds: num(values.seconds, 15), clients: num(values.clients, 5000), channels: num(values.channels, 4), overFactor: 2, tickMs: optNum(values['tick-ms']) }),
  },
  flood: { about: "live: issue 10's flood (20 connections × 45 made-up symbols) vs a real symbol's watcher; no flood, default limits, limits off; 3 runs × 15 s", run: () => floodScenario({ runs: num(values.runs, 3), seconds: num(values.seconds, 15), name: values.name }) },
  quiet: {
    about: 'the whole gateway at rest and under the demo (0, 2k, 20k, 100k events/s), no client: CPU per event, cores, parts and merges per second, freshness; --baseline DIR adds older code in the same runs; 3 runs × 30 s',
    run: () => quietScenario({
      name: values.name ?? 'quiet', runs: num(values.runs, 3), seconds: num(values.seconds, 30), warmupS: num(values.warmup, 20), probeS: num(values.probe, 10),
      rates: (values.rates ?? '0,2000,20000,100000').split(',').map(Number), baseline: values.baseline && resolve(values.baseline),
      env: envList(values.env),
    }),
  },
  compression: { about: 'bytes per answer identity vs gzip vs br: catalog JSON/CSV/MessagePack, OpenAPI, UI files; µs to compress an answer (3 runs)', run: () => compressionScenario({ name: values.name ?? 'compression', runs: num(values.runs, 3) }) },
  insights: { about: 'insights on a shop of ~1M order lines: order_risk precision/recall, forecast backtest vs seasonal naive, uncached p50/p99 per query (3 runs)', run: () => insightsScenario({ name: values.name ?? 'insights', runs: num(values.runs, 3) }) },
  ui: { about: 'UI in Chromium: fps, p95 frame time and JS heap at 100k points/s; bundle size; first paint (60 s)', run: parts.ui(num(values.seconds, 60)) },
  'go-client': {
    about: 'the Go live client vs its earlier versions (hand-written; coder/websocket): CPU per frame and latency reading the fan-out floor, 3 runs × 10 s, 5,000 clients × 2 frames per 100 ms tick',
    run: () => goClientCompareScenario({ name: values.name ?? 'go-client', runs: num(values.runs, 3), seconds: num(values.seconds, 10), clients: num(values.clients, 5000), channels: num(values.channels, 2), tickMs: num(values['tick-ms'], 100) }),
  },
  sql: { about: 'analyst SQL port: /health p99 and live tick time while an analyst runs count() over numbers(1e12) or a 1e8-row sort, vs idle, 3 runs × 10 s per phase', run: () => sqlScenario({ name: values.name ?? 'sql', runs: num(values.runs, 3), seconds: num(values.seconds, 10) }) },
  alerts: { about: 'alerts: latency (trade → SSE) p50/p99 and tick time without/with 10,000 rules under the live load (10,000 clients × 4 channels, 100k trades/s), 5 runs × 4 phases (ABBA) × 20 s', run: () => import('./alerts/scenario.ts').then((m) => m.runAlertsScenario({ name: values.name ?? 'alerts', runs: num(values.runs, 5), seconds: num(values.seconds, 20), clients: num(values.clients, 10_000), channels: num(values.channels, 4), eventsPerS: num(values['events-per-s'], 100_000), tickMs: optNum(values['tick-ms']), cpuProfileDir })) },
  k6: { about: 'k6: historical HTTP mix through the cache; WebSocket fan-out decoding MessagePack (20 s each)', run: parts.k6(num(values.seconds, 20)) },
  full: {
    about: 'every scenario above at full size, one after the other',
    run: async () => {
      for (const name of ['ingest', 'live', 'history', 'ui', 'k6']) await scenarios[name].run()
    },
  },
}

const scenario = scenarios[values.scenario!]
if (!scenario) {
  const list = Object.entries(scenarios).map(([k, s]) => `  ${k.padEnd(8)} ${s.about}`).join('\n')
  console.error(`${values.scenario === 'list' ? '' : `unknown scenario "${values.scenario}"; `}scenarios:\n${list}`)
  process.exit(values.scenario === 'list' ? 0 : 2)
}
const t0 = Date.now()
const result = (await scenario.run()) as { files?: string[] } | undefined
console.log(`bench ${values.scenario}: done in ${((Date.now() - t0) / 1000).toFixed(0)} s${result?.files ? `; wrote ${result.files.map((f) => f.split('/').at(-1)).join(', ')}` : ''}`)
process.exit(0)
