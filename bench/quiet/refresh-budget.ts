// What the insights' refresh budget saves once a gateway holds a long history (issue 16 item 1):
// one data directory with --lines order lines over 30 days (bench/quiet/fill-orders.ts, about
// 14 hours of the 2k demo's orders for 10M), then the gateway on it with the demo at 2,000 events/s,
// INSIGHTS_REFRESH_BUDGET=0 (every view every minute) and the default, interleaved run by run;
// CPU of the whole process from /proc over a window that starts once the views' first burst of
// refreshes is over (plus a warm-up), and the refresh span and period the gateway logged.
//   npx tsx bench/quiet/refresh-budget.ts [--lines 10000000] [--runs 3] [--warmup-s 60] [--seconds 240]
import { setTimeout as sleep } from 'node:timers/promises'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { machine, writeReport } from '../lib/report.ts'
import { coresOver, spawnGateway } from '../live/processes.ts'
import { fillOrders } from './fill.ts'

const { values } = parseArgs({ options: { lines: { type: 'string' }, runs: { type: 'string' }, 'warmup-s': { type: 'string' }, seconds: { type: 'string' }, rate: { type: 'string' }, name: { type: 'string' } } })
const lines = Number(values.lines ?? 10_000_000)
const runs = Number(values.runs ?? 3)
const warmupS = Number(values['warmup-s'] ?? 60)
const seconds = Number(values.seconds ?? 240)
const rate = Number(values.rate ?? 2000)
const dataDir = mkdtempSync(join(tmpdir(), 'livehouse-bench-budget-'))
const secret = 'bench-budget-secret-which-is-long-enough-for-hs256'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]

async function gateway(env: Record<string, string>, measure: boolean) {
  const p = spawnGateway(dataDir, { LOG_LEVEL: 'info', AUTH_SECRET: secret, ...env })
  try {
    let url: string | undefined
    while (!(url = /Livehouse is up: (http:\/\/\S+)/.exec(p.output())?.[1])) await sleep(200)
    if (!measure) return undefined
    // The views refresh once at start; on a long history that burst takes minutes. Measured from
    // when every view has run once (the span gauge appears), plus the warm-up.
    const started = Date.now()
    let burstS: number | undefined
    while (burstS === undefined) {
      const metrics = await (await fetch(`${url.replace('localhost', '127.0.0.1')}/metrics`)).text()
      const m = /^livehouse_insights_refresh_span_seconds ([\d.e+-]+)$/m.exec(metrics)
      if (m && Number(m[1]) > 0) burstS = Number(m[1]) // 0 until every view ran once
      else await sleep(2000)
    }
    const firstBurstS = Math.round((Date.now() - started) / 1000)
    await sleep(warmupS * 1000)
    const { cores, threads } = await coresOver(p.child.pid!, seconds, 0.005)
    const periods = p.output().split('\n').filter((l) => l.includes('insights refresh period changed'))
      .map((l) => JSON.parse(l) as { periodMin: number; spanMs: number }).map(({ periodMin, spanMs }) => ({ periodMin, spanMs }))
    return { cores, threads, periods, firstBurstS, burstS, loadAvg1m: Number(loadavg()[0].toFixed(1)) }
  } finally {
    await p.stop()
  }
}

try {
  await gateway({ DEMO_RATE: '0' }, false) // migrations
  await fillOrders(dataDir, lines)
  const results: { budget: string; run: number; cores: number; threads: Record<string, number>; periods: { periodMin: number; spanMs: number }[]; firstBurstS: number; burstS: number; loadAvg1m: number }[] = []
  for (let run = 0; run < runs; run++) {
    const order = run % 2 ? ['default', '0'] : ['0', 'default']
    for (const budget of order) {
      const r = (await gateway({ DEMO_RATE: String(rate), ...(budget === '0' ? { INSIGHTS_REFRESH_BUDGET: '0' } : {}) }, true))!
      results.push({ budget, run, ...r })
      console.log(budget, run, JSON.stringify(r))
    }
  }
  const of = (b: string) => results.filter((r) => r.budget === b)
  const row = (label: string, b: string) => {
    const rs = of(b)
    const cores = rs.map((r) => r.cores)
    const last = rs.map((r) => r.periods.at(-1))
    return `| ${label} | ${median(cores)} | ${Math.min(...cores)}–${Math.max(...cores)} | ${last.map((p) => (p ? `${p.periodMin} min` : 'unchanged')).join(', ')} | ${rs.map((r) => `${r.burstS.toFixed(0)} s`).join(', ')} | ${rs.map((r) => r.loadAvg1m).join(' / ')} |`
  }
  const threads = (b: string) => {
    const r = of(b).sort((x, y) => x.cores - y.cores)[Math.floor((of(b).length - 1) / 2)]
    return `- ${b === '0' ? 'budget 0' : 'default budget'}: ${Object.entries(r.threads).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`
  }
  const md = [
    `# Insights refresh budget on a long history (${new Date().toISOString()})`,
    '',
    `\`npx tsx bench/quiet/refresh-budget.ts --lines ${lines} --runs ${runs} --warmup-s ${warmupS} --seconds ${seconds}\`: one data directory with ${lines.toLocaleString('en')} order lines spread over the last 30 days (\`bench/quiet/fill-orders.ts\`), then the gateway on it with DEMO_RATE=${rate}, no client; the window starts ${warmupS} s after every insights view has refreshed once since the start (\`livehouse_insights_refresh_span_seconds\` appears; "refresh burst" is that gauge, the wall time of one burst), CPU of the whole process from /proc over ${seconds} s; \`INSIGHTS_REFRESH_BUDGET=0\` (every insights view every minute, the old behaviour) and the default, interleaved run by run. Period: the last one the gateway logged in the run. ${machine().cpus} cores.`,
    '',
    '| insights refresh | cores (median) | min–max | period set per run | refresh burst per run | load avg (1 min) per run |',
    '|---|---|---|---|---|---|',
    row('every minute (INSIGHTS_REFRESH_BUDGET=0)', '0'),
    row('budget (default)', 'default'),
    '',
    'Cores per thread group (median run):',
    '',
    threads('0'),
    threads('default'),
    '',
  ].join('\n')
  console.log(md)
  writeReport(values.name ?? 'refresh-budget', { scenario: 'refresh-budget', machine: machine(), lines, runs, warmupS, seconds, rate, results }, md)
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}
