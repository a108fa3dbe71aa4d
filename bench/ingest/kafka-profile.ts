// Where the time goes when ingesting through Kafka on this machine (issue 16 item 2): one Kafka
// ingest run (bench/ingest/mode.ts --kafka, closed loop) with the broker, the gateway (its Node
// main thread and chDB's threads apart) and the load generator each measured from /proc over the
// load window, plus a V8 CPU profile of the gateway's main thread (top functions by self time).
//
//   npx tsx bench/ingest/kafka-profile.ts --seconds 15 --runs 2 [--concurrency 8]
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { machine, writeReport } from '../lib/report.ts'
import { median } from '../lib/stats.ts'
// @ts-expect-error plain ESM script without types
import { startKafka, stopKafka } from '../../scripts/kafka.mjs'
// @ts-expect-error plain ESM script without types
import { getFreePort } from '../../scripts/lib/proc.mjs'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '15' }, runs: { type: 'string', default: '2' }, concurrency: { type: 'string', default: '4' }, name: { type: 'string', default: 'ingest-kafka-profile' } } })
const root = resolve(import.meta.dirname, '../..')
const dataDir = resolve(root, '.cache/kafka/profile')

/** CPU seconds per thread of one process (not its children), by thread name without trailing digits. */
function threads(pid: number): Map<string, number> {
  const out = new Map<string, number>()
  let tasks: string[] = []
  try { tasks = readdirSync(`/proc/${pid}/task`) } catch { return out }
  for (const t of tasks) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[\d:]+$/, '') || '?'
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ')
      out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / 100)
    } catch { /* gone */ }
  }
  return out
}
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0)
const children = (pid: number) => {
  try { return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) } catch { return [] }
}

/** Top functions by self time in a .cpuprofile, with a few inclusive totals. */
function profileSummary(file: string) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[]; samples: number[]; timeDeltas: number[] }
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const groups: [string, RegExp][] = [['kafkajs (consumer + producer)', /kafkajs/], ['validation (ndjson/events)', /ingest\/ndjson|core\/events|core\/decimal/], ['INSERT encode + chDB call', /clickhouse-writer|@clickhouse|chdb/], ['garbage collector', /\(garbage collector\)/]]
  let sum = 0
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0
    sum += dt
    const f = byId.get(id)!.callFrame
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}`
    self.set(key, (self.get(key) ?? 0) + dt)
    for (const [g, re] of groups) {
      for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
        const c = byId.get(n)!.callFrame
        if (re.test(`${c.functionName} ${c.url}`)) { inclusive.set(g, (inclusive.get(g) ?? 0) + dt); break }
      }
    }
  })
  const share = (t: number) => Math.round((1000 * t) / sum) / 10
  return {
    seconds: sum / 1e6,
    top: [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, t]) => ({ fn: k, pct: share(t) })),
    idlePct: share(self.get('(idle) ') ?? 0),
    groups: groups.map(([g]) => ({ group: g, pct: share(inclusive.get(g) ?? 0) })),
  }
}

async function oneRun(brokers: string, brokerPid: number, profDir: string) {
  rmSync(profDir, { recursive: true, force: true })
  mkdirSync(profDir, { recursive: true })
  const load1 = loadavg()[0]
  const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, '--import', 'tsx', resolve(import.meta.dirname, 'mode.ts'), '--kafka', brokers, '--seconds', values.seconds!, '--concurrency', values.concurrency!], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  const exited = new Promise<void>((r) => child.on('exit', () => r()))
  // The window: while the load generator (mode.ts's only child process) runs.
  let loadPid: number | undefined
  while (!loadPid) {
    loadPid = children(child.pid!).at(0)
    await sleep(50)
  }
  const t0 = performance.now()
  const at0 = { broker: total(threads(brokerPid)), gateway: threads(child.pid!), load: total(threads(loadPid)) }
  let at1 = at0
  while (readdirSafe(`/proc/${loadPid}`)) {
    at1 = { broker: total(threads(brokerPid)), gateway: threads(child.pid!), load: total(threads(loadPid)) }
    await sleep(200)
  }
  const windowS = (performance.now() - t0) / 1000
  await exited
  const result = JSON.parse(out.trim().split('\n').at(-1)!) as { acceptedPerS: number; freshness: { p50Ms: number | null; p99Ms: number | null } }
  const gatewayThreads = [...at1.gateway].map(([name, s]) => ({ name, cores: (s - (at0.gateway.get(name) ?? 0)) / windowS })).filter((t) => t.cores > 0.005).sort((a, b) => b.cores - a.cores)
  const mainFile = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profDir, f)).sort()[0]
  return {
    load1, windowS, eventsPerS: result.acceptedPerS, freshness: result.freshness,
    cores: {
      broker: (at1.broker - at0.broker) / windowS,
      gateway: gatewayThreads.reduce((a, t) => a + t.cores, 0),
      loadGenerator: (at1.load - at0.load) / windowS,
    },
    gatewayThreads,
    profile: profileSummary(mainFile),
  }
}

function readdirSafe(path: string) {
  try { return readdirSync(path).length > 0 } catch { return false }
}

const kafka = (await startKafka({ dataDir, port: await getFreePort(), fresh: true })) as { brokers: string; pid: number }
const runs = []
try {
  for (let i = 0; i < Number(values.runs); i++) {
    console.log(`kafka profile run ${i + 1}/${values.runs}…`)
    const run = await oneRun(kafka.brokers, kafka.pid, join(tmpdir(), `livehouse-kafka-prof-${i}`))
    console.log(JSON.stringify({ eventsPerS: run.eventsPerS, cores: run.cores, freshness: run.freshness }))
    runs.push(run)
  }
} finally {
  await stopKafka({ dataDir })
}
const r2 = (n: number | null) => (n === null ? 'n/a' : n.toFixed(2))
const md = [
  `# Kafka ingestion: where the time goes (${new Date().toISOString()})`,
  '',
  `\`npx tsx bench/ingest/kafka-profile.ts --seconds ${values.seconds} --runs ${values.runs} --concurrency ${values.concurrency}\`: one Kafka ingest run per line (bench/ingest/mode.ts --kafka: HTTP NDJSON → the gateway's producer → broker → the gateway's consumer → chDB, 5,000 trades per request, ${values.concurrency} in flight); cores = CPU seconds ÷ the load window, from /proc; the gateway's threads by name (\`node\`: the JS main thread and the libuv workers, on which chDB runs each statement; \`ThreadPool\` and the others: chDB's own threads).`,
  '',
  '| run | events/s | freshness p50 / p99 ms | broker cores | gateway cores | load generator cores | sum | load avg before |',
  '|---|---|---|---|---|---|---|---|',
  ...runs.map((r, i) => `| ${i + 1} | ${Math.round(r.eventsPerS).toLocaleString('en-US')} | ${r.freshness.p50Ms} / ${r.freshness.p99Ms} | ${r2(r.cores.broker)} | ${r2(r.cores.gateway)} | ${r2(r.cores.loadGenerator)} | ${r2(r.cores.broker + r.cores.gateway + r.cores.loadGenerator)} | ${r.load1.toFixed(1)} |`),
  '',
  `Median: ${median(runs.map((r) => r.eventsPerS))?.toLocaleString('en-US')} events/s.`,
  '',
  '## The gateway\'s threads (cores, per run)',
  '',
  ...runs.map((r, i) => `- run ${i + 1}: ${r.gatewayThreads.slice(0, 10).map((t) => `${t.name} ${t.cores.toFixed(2)}`).join(', ')}`),
  '',
  '## The gateway\'s JS main thread (V8 CPU profile of the whole process life, start-up and ceiling included)',
  '',
  ...runs.map((r, i) => `- run ${i + 1}: idle ${r.profile.idlePct} % of ${r.profile.seconds.toFixed(1)} s; ${r.profile.groups.map((g) => `${g.group} ${g.pct} %`).join(', ')}; top self time: ${r.profile.top.slice(0, 10).map((t) => `${t.fn} ${t.pct} %`).join(', ')}`),
  '',
  `Machine: ${JSON.stringify(machine())}.`,
  '',
].join('\n')
const files = writeReport(values.name!, { machine: machine(), options: values, runs }, md)
console.log(`wrote ${files.join(', ')}`)
process.exit(0)
