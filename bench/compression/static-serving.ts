// What serving one UI file costs in process: the Hono app's answer and its bytes taken as the
// uWS transport takes them (api/transport/uws.ts: the known bytes of a BytesResponse, else the
// body stream read to the end). Compares implementations of createStaticRoutes in one run,
// alternating, so a change to api/ui/static.ts is measured against the one before it:
//   npx tsx bench/compression/static-serving.ts <name> <module.ts>... (each exports createStaticRoutes)
// Builds the UI first when ui/dist is missing.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { spawnSync } from 'node:child_process'
import type { Hono } from 'hono'
import { knownBody } from '../../api/http/raw-body.ts'
import { machine, writeReport } from '../lib/report.ts'
import { median, percentile } from '../lib/stats.ts'

const root = resolve(import.meta.dirname, '../..')
const [name, ...modules] = process.argv.slice(2)
if (!name || modules.length === 0) throw new Error('usage: static-serving.ts <name> <module.ts>...')
if (!existsSync(join(root, 'ui/dist/index.html'))) spawnSync(process.execPath, [join(root, 'scripts/build-ui.mjs')], { cwd: root, stdio: 'inherit' })
const dist = join(root, 'ui/dist')
const largest = readdirSync(join(dist, 'assets')).filter((n) => n.endsWith('.js')).sort((a, b) => statSync(join(dist, 'assets', b)).size - statSync(join(dist, 'assets', a)).size)[0]
const targets = [{ what: `assets/${largest} (br)`, path: `/assets/${largest}`, enc: 'br' }, { what: `assets/${largest} (identity)`, path: `/assets/${largest}`, enc: '' }, { what: 'client route → index.html', path: '/dashboards/42', enc: 'br' }]

async function bytesOf(res: Response): Promise<number> {
  const known = knownBody(res)
  if (known) return known.length
  let n = 0
  const reader = res.body!.getReader()
  for (let r = await reader.read(); !r.done; r = await reader.read()) n += r.value.length
  return n
}

/** µs per request for `reps` sequential requests. */
async function measure(app: Hono, t: (typeof targets)[number], reps: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < reps; i++) {
    const start = performance.now()
    const res = await app.fetch(new Request(`http://x${t.path}`, { headers: t.enc ? { 'accept-encoding': t.enc } : {} }))
    if (res.status !== 200 || (await bytesOf(res)) === 0) throw new Error(`${t.path}: ${res.status}`)
    out.push((performance.now() - start) * 1000)
  }
  return out
}

const apps = await Promise.all(modules.map(async (m) => ({ module: m, app: (await import(resolve(m))).createStaticRoutes({ dir: dist }) as Hono })))
const runs = 5
const reps = 3000
const samples = new Map<string, number[][]>()
const load: number[] = []
for (const a of apps) for (const t of targets) await measure(a.app, t, 300) // warm: files read, compressed once
for (let run = 0; run < runs; run++) {
  for (const a of run % 2 ? [...apps].reverse() : apps) {
    for (const t of targets) {
      const key = `${a.module}|${t.what}`
      samples.set(key, [...(samples.get(key) ?? []), await measure(a.app, t, reps)])
    }
  }
  load.push(loadavg()[0])
}
const rows = [...samples].map(([key, perRun]) => {
  const [module, what] = key.split('|')
  const medians = perRun.map((xs) => median(xs) ?? NaN)
  const p99s = perRun.map((xs) => percentile([...xs].sort((x, y) => x - y), 99) ?? NaN)
  return { module, what, medianUs: median(medians) ?? NaN, medianRangeUs: [Math.min(...medians), Math.max(...medians)], p99Us: median(p99s) ?? NaN }
})
const f = (n: number) => n.toFixed(1)
const md = [
  `# UI file serving in process (${new Date().toISOString()})`,
  '',
  `\`npx tsx bench/compression/static-serving.ts ${name} ${modules.join(' ')}\`: ${runs} runs × ${reps} sequential requests per file and implementation (alternating order per run), through the Hono app, bytes taken as the uWS transport takes them. Per request: median of the runs' medians (min–max of run medians), median of the runs' p99.`,
  '',
  '| implementation | request | median µs (run range) | p99 µs |',
  '|---|---|---|---|',
  ...rows.map((r) => `| ${r.module} | ${r.what} | ${f(r.medianUs)} (${f(r.medianRangeUs[0])}–${f(r.medianRangeUs[1])}) | ${f(r.p99Us)} |`),
  '',
  `Load average (1 min) per run: ${load.map((l) => l.toFixed(1)).join(' / ')} on ${machine().cpus} cores (shared machine). Machine: ${JSON.stringify(machine())}.`,
  '',
].join('\n')
console.log(md)
writeReport(name, { scenario: 'static-serving', machine: machine(), runs, reps, rows, load }, md)
