// The first minutes of an idle gateway restarted on a long order history (issue 16 item 1). The engine
// forgets its views' last refreshes when it restarts, so without the block kept in
// DATA_DIR/insights-refresh.json the insights' views re-read every order at start and again at the next
// minute boundary. One directory filled with order lines (bench/quiet/fill-orders.ts), one warm run of
// this checkout until it has noted the views' refresh, then restarts with DEMO_RATE=0 of this checkout
// and of the baseline checkout, alternating (ABBA), each measured from spawn: CPU seconds of the whole
// process tree from /proc over the first `--seconds`.
//   npx tsx bench/quiet/restart-idle.ts --baseline DIR [--lines 4000000] [--seconds 90] [--runs 2]
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { machine, writeReport } from '../lib/report.ts'
import { median } from '../lib/stats.ts'
import { cpuSeconds, root, spawnGateway } from '../live/processes.ts'
import { fillOrders } from './fill.ts'

const { values } = parseArgs({ options: { baseline: { type: 'string' }, lines: { type: 'string' }, seconds: { type: 'string' }, runs: { type: 'string' }, name: { type: 'string' } } })
if (!values.baseline) throw new Error('usage: restart-idle.ts --baseline DIR [--lines 4000000] [--seconds 90] [--runs 2]')
const lines = Number(values.lines ?? 4_000_000)
const seconds = Number(values.seconds ?? 90)
const runs = Number(values.runs ?? 2)
const dataDir = mkdtempSync(join(tmpdir(), 'livehouse-bench-restart-'))
const stateFile = join(dataDir, 'insights-refresh.json')
const checkouts = { after: root, before: values.baseline }

/** A gateway of `checkout` on the shared directory; `until` decides when to stop it (ms since spawn). */
async function gateway(checkout: string, until: (startedMs: number) => Promise<void>) {
  const p = spawnGateway(dataDir, { AUTH_SECRET: 'bench-restart-secret-which-is-long-enough-for-hs256' }, { checkout })
  try {
    await until(performance.now())
    return cpuSeconds(p.child.pid!)
  } finally {
    await p.stop()
  }
}

try {
  await fillOrders(dataDir, lines, { migrate: true })
  // Warm: this checkout runs until it has noted a refresh of every view that read the last orders block.
  const warmedAt = performance.now()
  await gateway(root, async () => {
    while (!existsSync(stateFile)) {
      if (performance.now() - warmedAt > 600_000) throw new Error('the warm run noted no refresh in 10 minutes')
      await sleep(1000)
    }
  })
  const kept = readFileSync(stateFile, 'utf8')
  const windows: { run: number; code: 'after' | 'before'; cpuS: number; loadAvg1m: number }[] = []
  for (let run = 1; run <= runs; run++) {
    for (const code of run % 2 ? (['after', 'before'] as const) : (['before', 'after'] as const)) {
      const loadAvg1m = Number(loadavg()[0].toFixed(1))
      const cpuS = await gateway(checkouts[code], (t0) => sleep(Math.max(0, seconds * 1000 - (performance.now() - t0))))
      windows.push({ run, code, cpuS: Number(cpuS.toFixed(2)), loadAvg1m })
      console.log(`run ${run} ${code}: ${cpuS.toFixed(2)} CPU-s over the first ${seconds} s (load ${loadAvg1m})`)
    }
  }
  const of = (code: string) => windows.filter((w) => w.code === code).map((w) => w.cpuS)
  const row = (label: string, code: string) => `| ${label} | ${median(of(code))} | ${of(code).join(' / ')} | ${(median(of(code))! / seconds).toFixed(3)} |`
  const md = [
    `# An idle gateway restarted on a long order history (${new Date().toISOString()})`,
    '',
    `\`npx tsx bench/quiet/restart-idle.ts --baseline ${values.baseline} --lines ${lines} --seconds ${seconds} --runs ${runs}\`: one data directory with ${lines.toLocaleString('en')} order lines over 30 days (fill-orders.ts), one warm run of this checkout until it kept ${kept.trim()}; then the gateway restarted on it with DEMO_RATE=0, no client, this checkout and the baseline alternating (ABBA); CPU seconds of the process tree from spawn over the first ${seconds} s (start-up included). ${machine().cpus} cores; load average before each run: ${windows.map((w) => w.loadAvg1m).join(' / ')}.`,
    '',
    `| code | CPU-s, median | per run | cores over the ${seconds} s |`,
    '|---|---|---|---|',
    row('this checkout', 'after'),
    row('baseline', 'before'),
    '',
  ].join('\n')
  console.log(md)
  writeReport(values.name ?? 'restart-idle', { scenario: 'restart-idle', machine: machine(), lines, seconds, runs, baseline: values.baseline, kept, windows }, md)
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}
