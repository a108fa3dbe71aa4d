// Reads a gateway CPU profile written by `npm run bench -- --scenario alerts --cpu-prof DIR`
// and prints, for each measured phase of the run, where the main thread's time went: the
// top functions by self time and the source files by inclusive time, in ms per tick.
// `npx tsx bench/alerts/profile-slice.ts <results.json> <profile dir> [run number] [--diff]`
// (--diff: per source file, the "with" phases' ms per tick against the "without" phases')
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] }
interface PhaseWindow { phase: string; order: number; monoFromUs: number; monoToUs: number; tickCount: number }

const shortUrl = (url: string) => url.replace(/^file:\/\/.*?\/(api|core|ingest|node_modules)\//, '$1/').replace(/^node:/, 'node:')
const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`

/** Self and inclusive µs per function label and per file, over samples in [fromUs, toUs). */
export function slice(p: Profile, fromUs: number, toUs: number) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<string, number>()
  const fileInclusive = new Map<string, number>()
  let total = 0
  let t = p.startTime
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]
    if (t < fromUs || t >= toUs) continue
    const dt = p.timeDeltas[i + 1] ?? 0
    total += dt
    const leaf = byId.get(p.samples[i])!
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt)
    const files = new Set<string>()
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) files.add(shortUrl(byId.get(id)!.callFrame.url) || `(${byId.get(id)!.callFrame.functionName})`)
    for (const f of files) fileInclusive.set(f, (fileInclusive.get(f) ?? 0) + dt)
  }
  return { total, self, fileInclusive }
}

function loadProfile(runDir: string): Profile {
  // The launcher (api/sql/secret-env.ts) and the gateway each write one; the gateway's is the busy one.
  const files = readdirSync(runDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(runDir, f))
  const busy = (p: Profile) => {
    const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id))
    return p.samples.filter((id) => !idle.has(id)).length
  }
  return files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Profile).sort((a, b) => busy(b) - busy(a))[0]
}

/** Per source file, inclusive main-thread ms per tick in the "with" and the "without" phases of a run (all of each kind together). */
export function diffByFile(profile: Profile, phases: PhaseWindow[]) {
  const acc = { with: new Map<string, number>(), without: new Map<string, number>() } as Record<string, Map<string, number>>
  const ticks: Record<string, number> = { with: 0, without: 0 }
  for (const ph of phases) {
    const s = slice(profile, ph.monoFromUs, ph.monoToUs)
    ticks[ph.phase] += ph.tickCount
    for (const [k, v] of s.fileInclusive) acc[ph.phase].set(k, (acc[ph.phase].get(k) ?? 0) + v)
  }
  const keys = new Set([...acc.with.keys(), ...acc.without.keys()])
  return [...keys].map((file) => ({ file, withMs: (acc.with.get(file) ?? 0) / 1000 / ticks.with, withoutMs: (acc.without.get(file) ?? 0) / 1000 / ticks.without }))
}

function main() {
  const args = process.argv.slice(2)
  const diff = args.includes('--diff')
  const [resultsPath, dir, runArg] = args.filter((a) => a !== '--diff')
  const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as { runs: { phases: PhaseWindow[]; profile?: string }[] }
  const runs = runArg ? [Number(runArg) - 1] : results.runs.map((_, i) => i)
  for (const r of runs) {
    const profile = loadProfile(join(dir, `run-${r + 1}`))
    if (diff) {
      console.log(`\n== run ${r + 1}: main-thread ms per tick by file (inclusive), with − without; api/alerts files and differences over 0.3 ms`)
      const rows = diffByFile(profile, results.runs[r].phases).filter((x) => Math.abs(x.withMs - x.withoutMs) > 0.3 || x.file.includes('api/alerts/'))
      for (const x of rows.sort((a, b) => b.withMs - b.withoutMs - (a.withMs - a.withoutMs))) {
        console.log(`${(x.withMs - x.withoutMs).toFixed(2).padStart(8)} ${x.withMs.toFixed(2).padStart(8)} ${x.withoutMs.toFixed(2).padStart(8)}  ${x.file}`)
      }
      continue
    }
    for (const ph of results.runs[r].phases) {
      const s = slice(profile, ph.monoFromUs, ph.monoToUs)
      const perTick = (us: number) => (us / 1000 / ph.tickCount).toFixed(2)
      console.log(`\n== run ${r + 1}, ${ph.order}. ${ph.phase}: ${perTick(s.total)} ms main-thread samples per tick (${ph.tickCount} ticks)`)
      console.log('-- self, ms/tick')
      for (const [k, v] of [...s.self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${perTick(v).padStart(8)}  ${k}`)
      console.log('-- file inclusive, ms/tick')
      for (const [k, v] of [...s.fileInclusive].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${perTick(v).padStart(8)}  ${k}`)
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main()
