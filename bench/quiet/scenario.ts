// The quiet scenario (issue 16 item 1): what the whole gateway process costs at rest and under
// the demo generator's load, with nothing else connected. Per rate (0 = idle, 2k, 20k, 100k
// events/s) the real gateway (`api/main.ts`) runs as a child process on a fresh data directory
// with DEMO_RATE at that rate; after a warm-up, one window measures the process's CPU (from
// /proc: Node, chDB's threads and its merges are one process), the events it stored, and the
// parts ClickHouse created (the increase of every table's highest block number: one per part an
// INSERT writes) and merged; then a probe phase measures freshness (a trade sent over HTTP →
// counted in candles_1s, polled on the SQL port), outside the CPU window so the polling is not
// billed to the process.
//
// With `--baseline DIR` (a checkout of older code, e.g. `git archive main | tar -x -C DIR`), the
// same configurations run on that code too, interleaved run by run: the same-run baseline.
import { setTimeout as sleep } from 'node:timers/promises'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { createAuth } from '../../api/auth.ts'
import { Scrape } from '../../ui/src/lib/prom.ts'
import { barChartSvg, machine, writeReport } from '../lib/report.ts'
import { median, percentile } from '../lib/stats.ts'
import { cpuSeconds, processTree, root, startGatewayProc, threadCpuSeconds } from '../live/processes.ts'
// @ts-expect-error plain ESM script without types
import { getFreePort } from '../../scripts/lib/proc.mjs'

export interface QuietScenarioOptions {
  name: string
  runs: number
  /** Measured seconds per window. */
  seconds: number
  warmupS: number
  rates: number[]
  /** Another checkout to measure in the same runs (the "before" code). */
  baseline?: string
  /** Extra environment per code, e.g. INGEST_FLUSH_MS for a flush-policy comparison. */
  env?: Record<string, string>
  /** Seconds of freshness probes after each window (0 = none). */
  probeS: number
}

const secret = 'bench-quiet-secret-which-is-long-enough-for-hs256'
const auth = createAuth(secret)
const probeSymbol = 'QPROBE'

interface Window {
  code: 'after' | 'before'
  rate: number
  cpuS: number
  seconds: number
  cores: number
  events: number
  eventsPerS: number
  usPerEvent: number | null
  parts: Record<string, number>
  partsPerS: number
  merges: number
  mergesPerS: number
  freshness: { samples: number; p50Ms: number | null; p99Ms: number | null; lost: number }
  loadAvg1m: number
  rssMb: number
  /** CPU seconds per thread name within the window (threads that exited during it are missed). */
  cpuByThread: Record<string, number>
}

/** Sum of accepted events from the gateway's own counter. */
const acceptedEvents = (text: string) => new Scrape(text).sum('livehouse_ingest_events_total', { outcome: 'accepted' }) ?? 0

async function sql(port: number, token: string, query: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: query, headers: { 'X-ClickHouse-Key': token } })
  const text = await res.text()
  if (!res.ok) throw new Error(`SQL port ${res.status}: ${text.slice(0, 300)}`)
  return text
}

/** Per table, the highest block number of its parts: each part an INSERT creates takes the next one. */
async function blockNumbers(port: number, token: string): Promise<Map<string, number>> {
  const text = await sql(port, token, "SELECT database || '.' || table, max(max_block_number) FROM system.parts GROUP BY 1 FORMAT TSV")
  return new Map(text.trim().split('\n').filter(Boolean).map((l) => l.split('\t')).map(([t, n]) => [t, Number(n)]))
}

/** Merges the engine has started since it started (ProfileEvents Merge). */
async function mergesStarted(port: number, token: string): Promise<number> {
  return Number((await sql(port, token, "SELECT sum(value) FROM system.events WHERE event = 'Merge' FORMAT TSV")).trim() || 0)
}

/** Resident memory of the process tree (launcher and gateway). */
function rssMb(pid: number): number {
  let kb = 0
  for (const p of processTree(pid)) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0)
    } catch { /* gone */ }
  }
  return kb / 1024
}

/** Probe trades over HTTP every 200 ms; the SQL port is polled every 50 ms for the 1 s candle that counts them. */
async function probeFreshness(url: string, sqlPort: number, ingestToken: string, adminToken: string, seconds: number) {
  const sentAt: number[] = []
  const fresh: number[] = []
  let probing = true
  const sender = (async () => {
    for (let i = 0; probing; i++) {
      sentAt.push(Date.now())
      const body = JSON.stringify({ id: `qp-${i}`, ts: Date.now(), symbol: probeSymbol, price: 1, qty: 1, side: 'buy' })
      await fetch(`${url}/v1/events/trades`, { method: 'POST', body, headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/x-ndjson' } }).then((r) => r.arrayBuffer(), () => {})
      await sleep(200)
    }
  })()
  const poller = (async () => {
    let seen = 0
    const deadline = () => !probing && Date.now() - (sentAt.at(-1) ?? 0) > 10_000
    while ((probing || seen < sentAt.length) && !deadline()) {
      const visible = Number((await sql(sqlPort, adminToken, `SELECT sum(trades) FROM candles_1s WHERE symbol = '${probeSymbol}' FORMAT TSV`).catch(() => '0')).trim() || 0)
      const now = Date.now()
      for (; seen < visible && seen < sentAt.length; seen++) fresh.push(now - sentAt[seen])
      await sleep(50)
    }
    return seen
  })()
  await sleep(seconds * 1000)
  probing = false
  await sender
  const seen = await poller
  fresh.sort((a, b) => a - b)
  return { samples: fresh.length, p50Ms: percentile(fresh, 50), p99Ms: percentile(fresh, 99), lost: sentAt.length - seen }
}

async function measure(o: QuietScenarioOptions, code: 'after' | 'before', rate: number): Promise<Window> {
  const sqlPort = await getFreePort()
  const gw = await startGatewayProc({ AUTH_SECRET: secret, DEMO_RATE: String(rate), SQL_PORT: String(sqlPort), ...o.env }, [], code === 'before' ? o.baseline! : root)
  try {
    const admin = await auth.sign({ sub: 'bench-quiet-admin', roles: ['admin'], symbols: ['*'], shops: ['*'] }, '1h')
    const ingest = await auth.sign({ sub: 'bench-quiet-ingest', roles: ['ingest'], symbols: ['*'], shops: ['*'] }, '1h')
    await sleep(o.warmupS * 1000)
    const scrape = async () => (await fetch(`${gw.url}/metrics`)).text()
    const [b0, m0, e0] = [await blockNumbers(sqlPort, admin), await mergesStarted(sqlPort, admin), acceptedEvents(await scrape())]
    const c0 = cpuSeconds(gw.pid)
    const th0 = threadCpuSeconds(gw.pid)
    const t0 = performance.now()
    await sleep(o.seconds * 1000)
    const c1 = cpuSeconds(gw.pid)
    const th1 = threadCpuSeconds(gw.pid)
    const seconds = (performance.now() - t0) / 1000
    const [b1, m1, e1] = [await blockNumbers(sqlPort, admin), await mergesStarted(sqlPort, admin), acceptedEvents(await scrape())]
    const parts: Record<string, number> = {}
    for (const [t, n] of b1) if (n - (b0.get(t) ?? 0) > 0) parts[t] = n - (b0.get(t) ?? 0)
    const totalParts = Object.values(parts).reduce((a, b) => a + b, 0)
    const cpuS = c1 - c0
    const events = e1 - e0
    const window: Window = {
      code, rate, cpuS, seconds, cores: cpuS / seconds, events, eventsPerS: events / seconds,
      usPerEvent: events > 0 ? (cpuS * 1e6) / events : null,
      parts, partsPerS: totalParts / seconds, merges: m1 - m0, mergesPerS: (m1 - m0) / seconds,
      freshness: { samples: 0, p50Ms: null, p99Ms: null, lost: 0 }, loadAvg1m: loadavg()[0], rssMb: rssMb(gw.pid),
      cpuByThread: Object.fromEntries([...th1].map(([k, v]) => [k, v - (th0.get(k) ?? 0)] as const).filter(([, v]) => v > 0.005)),
    }
    if (o.probeS > 0) window.freshness = await probeFreshness(gw.url, sqlPort, ingest, admin, o.probeS)
    return window
  } finally {
    await gw.stop()
  }
}

const fmt = (v: number | null | undefined, digits = 0) => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }))
const spread = (xs: number[], digits = 0) => (xs.length ? `${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)}` : 'n/a')

export async function quietScenario(o: QuietScenarioOptions) {
  const codes: ('after' | 'before')[] = o.baseline ? ['after', 'before'] : ['after']
  const windows: Window[] = []
  for (let run = 0; run < o.runs; run++) {
    for (const rate of o.rates) {
      // Alternate which code goes first, so neither always gets the quieter half of the machine.
      for (const code of run % 2 ? [...codes].reverse() : codes) {
        console.log(`bench quiet: run ${run + 1}/${o.runs}, ${code}, ${rate.toLocaleString('en-US')} events/s…`)
        const w = await measure(o, code, rate)
        console.log(`  ${w.cores.toFixed(3)} cores, ${fmt(w.usPerEvent)} µs/event, ${fmt(w.eventsPerS)} events/s, ${w.partsPerS.toFixed(1)} parts/s, ${w.mergesPerS.toFixed(2)} merges/s, freshness p99 ${fmt(w.freshness.p99Ms)} ms, load ${w.loadAvg1m.toFixed(1)}`)
        windows.push(w)
      }
    }
  }
  const summary = o.rates.flatMap((rate) => codes.map((code) => {
    const mine = windows.filter((w) => w.rate === rate && w.code === code)
    const pick = (f: (w: Window) => number | null) => mine.map(f).filter((v): v is number => v !== null && !Number.isNaN(v))
    return {
      code, rate, runs: mine.length,
      cores: median(pick((w) => w.cores)), coresSpread: pick((w) => w.cores),
      usPerEvent: median(pick((w) => w.usPerEvent)), usPerEventSpread: pick((w) => w.usPerEvent),
      eventsPerS: median(pick((w) => w.eventsPerS)),
      partsPerS: median(pick((w) => w.partsPerS)), partsPerSSpread: pick((w) => w.partsPerS),
      mergesPerS: median(pick((w) => w.mergesPerS)),
      freshnessP99Ms: median(pick((w) => w.freshness.p99Ms)), freshnessP99Spread: pick((w) => w.freshness.p99Ms),
      loadAvg1m: mine.map((w) => w.loadAvg1m),
    }
  }))
  const label = (code: string) => (code === 'after' ? 'this branch' : 'baseline')
  const md = [
    `# Quiet: what the gateway costs at rest and under the demo (${new Date().toISOString()})`,
    '',
    `${o.runs} run(s) × ${o.seconds} s window after ${o.warmupS} s warm-up, per rate and code; the real gateway (api/main.ts) as a child process with DEMO_RATE at the rate, no client connected. ` +
      'CPU: the process\'s user + system time from /proc (Node, chDB and its merges); events: the gateway\'s livehouse_ingest_events_total (accepted); ' +
      'parts: the increase of each table\'s highest block number (one per part written, every table an INSERT reaches through its views); merges: ProfileEvents Merge. ' +
      `Freshness: probe trades over HTTP for ${o.probeS} s after the window, every 200 ms, → counted in candles_1s (polled every 50 ms on the SQL port).` +
      (o.baseline ? ` Baseline: the code at \`${o.baseline}\`, run interleaved with this branch in the same runs.` : '') +
      (o.env && Object.keys(o.env).length ? ` Environment of both: \`${Object.entries(o.env).map(([k, v]) => `${k}=${v}`).join(' ')}\`.` : ''),
    '',
    '| code | demo events/s | events/s stored | cores (median) | min–max | µs CPU per event | min–max | parts/s | min–max | merges/s | freshness p99 ms | min–max | load avg (1 min) per run |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...summary.map((s) => `| ${label(s.code)} | ${s.rate.toLocaleString('en-US')} | ${fmt(s.eventsPerS)} | ${fmt(s.cores, 3)} | ${spread(s.coresSpread, 3)} | ${fmt(s.usPerEvent)} | ${spread(s.usPerEventSpread)} | ${fmt(s.partsPerS, 1)} | ${spread(s.partsPerSSpread, 1)} | ${fmt(s.mergesPerS, 2)} | ${fmt(s.freshnessP99Ms)} | ${spread(s.freshnessP99Spread)} | ${s.loadAvg1m.map((l) => l.toFixed(1)).join(' / ')} |`),
    '',
    'Parts per table (median run, parts/s):',
    '',
    ...summary.map((s) => {
      const mine = windows.filter((w) => w.rate === s.rate && w.code === s.code)
      const tables = [...new Set(mine.flatMap((w) => Object.keys(w.parts)))].sort()
      // Refreshable views' inner tables are new every refresh: their one part each is no insert cost.
      const per = tables.filter((t) => !t.startsWith('insights.')).map((t) => `${t.replace(/^default\./, '')} ${fmt(median(mine.map((w) => (w.parts[t] ?? 0) / w.seconds)), 1)}`)
      return `- ${label(s.code)} at ${s.rate.toLocaleString('en-US')}/s: ${per.join(', ') || 'none'}`
    }),
    '',
    'Where the CPU went (median run, cores per thread group; `node`: the JS main thread and unnamed threads, MergeMutate: merges, BgSchPool: background schedules such as refreshable views):',
    '',
    ...summary.map((s) => {
      const mine = windows.filter((w) => w.rate === s.rate && w.code === s.code)
      const names = [...new Set(mine.flatMap((w) => Object.keys(w.cpuByThread)))]
      const per = names.map((n) => [n, median(mine.map((w) => (w.cpuByThread[n] ?? 0) / w.seconds)) ?? 0] as const).filter(([, v]) => v >= 0.0005).sort((a, b) => b[1] - a[1])
      return `- ${label(s.code)} at ${s.rate.toLocaleString('en-US')}/s: ${per.map(([n, v]) => `${n} ${v.toFixed(3)}`).join(', ') || 'n/a'}`
    }),
    '',
    `Machine: ${JSON.stringify(machine())}. The machine is shared: a load average well above ${machine().cpus} means other work competed for the cores; CPU time per event is the figure least moved by that, wall-clock freshness the most.`,
    '',
  ].join('\n')
  const svg = barChartSvg('CPU per event (µs, median)', 'µs', summary.filter((s) => s.rate > 0).map((s) => ({ label: `${label(s.code)} @ ${s.rate.toLocaleString('en-US')}/s`, value: s.usPerEvent ?? 0 })))
  const files = writeReport(o.name, { scenario: 'quiet', machine: machine(), options: o, summary, windows }, md, svg)
  return { summary, files }
}
