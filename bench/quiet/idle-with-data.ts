// What an idle gateway costs once it holds data (issue 16 item 1): one data directory, filled by
// the demo at 20k events/s for 150 s, then the gateway restarted on it with DEMO_RATE=0 and its
// CPU read from /proc over a window after a warm-up, with the insights' refresh pause off
// (INSIGHTS_IDLE_CHECK_MS=0: the views re-read their 30–90 days of orders every minute) and on.
//   npx tsx bench/quiet/idle-with-data.ts [--fill-s 150] [--warmup-s 150] [--seconds 120]
import { setTimeout as sleep } from 'node:timers/promises'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { machine, writeReport } from '../lib/report.ts'
import { coresOver, spawnGateway } from '../live/processes.ts'

const { values } = parseArgs({ options: { 'fill-s': { type: 'string' }, 'warmup-s': { type: 'string' }, seconds: { type: 'string' }, name: { type: 'string' } } })
const fillS = Number(values['fill-s'] ?? 150)
const warmupS = Number(values['warmup-s'] ?? 150)
const seconds = Number(values.seconds ?? 120)
const dataDir = mkdtempSync(join(tmpdir(), 'livehouse-bench-idle-'))

/** Runs the gateway on the shared directory; with `measure`, the cores it used over the window, per thread group. */
async function gateway(rate: number, env: Record<string, string>, measure: boolean) {
  const p = spawnGateway(dataDir, { DEMO_RATE: String(rate), AUTH_SECRET: 'bench-idle-secret-which-is-long-enough-for-hs256', ...env })
  try {
    while (!/Livehouse is up/.test(p.output())) await sleep(200)
    await sleep((measure ? warmupS : fillS) * 1000)
    if (!measure) return undefined
    return { ...(await coresOver(p.child.pid!, seconds)), loadAvg1m: Number(loadavg()[0].toFixed(1)) }
  } finally {
    await p.stop()
  }
}

try {
  await gateway(20_000, {}, false)
  const off = (await gateway(0, { INSIGHTS_IDLE_CHECK_MS: '0' }, true))!
  const on = (await gateway(0, {}, true))!
  const row = (label: string, r: typeof on) => `| ${label} | ${r.cores} | ${Object.entries(r.threads).map(([k, v]) => `${k} ${v}`).join(', ')} | ${r.loadAvg1m} |`
  const md = [
    `# Idle with data: the insights' refresh pause (${new Date().toISOString()})`,
    '',
    `\`npx tsx bench/quiet/idle-with-data.ts --fill-s ${fillS} --warmup-s ${warmupS} --seconds ${seconds}\`: one data directory filled by the demo at 20,000 events/s for ${fillS} s; then the gateway restarted on it with DEMO_RATE=0, no client, ${warmupS} s warm-up (the pause needs two 60 s looks), CPU of the process from /proc over ${seconds} s. ${machine().cpus} cores.`,
    '',
    '| refresh pause | cores | cores per thread group | load avg |',
    '|---|---|---|---|',
    row('off (INSIGHTS_IDLE_CHECK_MS=0)', off),
    row('on (default)', on),
    '',
  ].join('\n')
  console.log(md)
  writeReport(values.name ?? 'idle-with-data', { scenario: 'idle-with-data', machine: machine(), fillS, warmupS, seconds, off, on }, md)
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}
