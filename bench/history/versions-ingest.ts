// What the data-version views cost ingestion: INSERTs of order lines and trades into the
// embedded engine with the views attached, and with them detached (the baseline), alternating
// in the same process; CPU time per INSERT (this process: chDB runs in it) as well as wall time,
// since wall time on a shared machine swings with other work.
// Usage: npx tsx bench/history/versions-ingest.ts [--runs 5] [--batches 40] [--rows 2000]
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createClickHouse } from '../../api/clickhouse/client.ts'
import { applyMigrations } from '../../api/clickhouse/migrate.ts'
import { makeFixtures } from '../../test/support/history-fixtures.ts'
import { formatTime } from '../../api/history/params.ts'
import { machine, writeReport } from '../lib/report.ts'
import { median, percentile } from '../lib/stats.ts'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, batches: { type: 'string', default: '40' }, rows: { type: 'string', default: '2000' } } })
const runs = Number(values.runs)
const batches = Number(values.batches)
const rowsPerBatch = Number(values.rows)

const versionViews = ['trades', 'orders', 'web_events', 'dead_letters'].map((t) => `mv_data_version_buckets_from_${t}`)

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'lh-versions-ingest-'))
  const ch = createClickHouse({ dataDir: dir }, 'ops')
  try {
    await applyMigrations(ch)
    const timed = async (stream: 'orders' | 'trades') => {
      const times: number[] = []
      const cpu: number[] = []
      for (let b = 0; b < batches; b++) {
        const f = makeFixtures(Date.now() - 3_600_000, { trades: rowsPerBatch, orders: Math.ceil(rowsPerBatch / 2), webEvents: 0, spanMs: 3_600_000 })
        const rows = (stream === 'orders' ? f.orders : f.trades).map((r) => ({ ...r, ts: formatTime(r.ts as number) }))
        const t0 = performance.now()
        const c0 = process.cpuUsage()
        await ch.insert({ table: stream, values: rows, format: 'JSONEachRow' })
        const c = process.cpuUsage(c0)
        times.push(performance.now() - t0)
        cpu.push((c.user + c.system) / 1000)
      }
      return { wall: times.sort((a, b) => a - b), cpu: cpu.sort((a, b) => a - b) }
    }
    type Times = { wall: number[]; cpu: number[] }
    const perRun: { run: number; load1: number; on: Record<string, Times>; off: Record<string, Times> }[] = []
    for (let run = 0; run < runs; run++) {
      const sides: Record<'on' | 'off', Record<string, Times>> = { on: {}, off: {} }
      for (const side of run % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        for (const v of versionViews) await ch.command({ query: `${side === 'on' ? 'ATTACH' : 'DETACH'} TABLE ${v}` }).catch(() => {})
        sides[side] = { orders: await timed('orders'), trades: await timed('trades') }
      }
      perRun.push({ run: run + 1, load1: Number(loadavg()[0].toFixed(2)), ...sides })
      const p50 = (s: 'on' | 'off', k: string) => `${percentile(sides[s][k].wall, 50)!.toFixed(1)}/${percentile(sides[s][k].cpu, 50)!.toFixed(1)}`
      console.log(`versions-ingest run ${run + 1}/${runs} (p50 wall/cpu ms): orders on ${p50('on', 'orders')} off ${p50('off', 'orders')}; trades on ${p50('on', 'trades')} off ${p50('off', 'trades')}`)
    }
    for (const v of versionViews) await ch.command({ query: `ATTACH TABLE ${v}` }).catch(() => {})
    const stat = (side: 'on' | 'off', k: string, p: number, m: keyof Times = 'wall') => median(perRun.map((r) => percentile(r[side][k][m], p)!))!
    const rowsPerS = (side: 'on' | 'off', k: string) => (k === 'orders' ? Math.ceil(rowsPerBatch / 2) : rowsPerBatch) / (stat(side, k, 50, 'cpu') / 1000)
    const result = { date: new Date().toISOString(), machine: machine(), runs, batches, rowsPerBatch, perRun: perRun.map((r) => ({ run: r.run, load1: r.load1 })),
      table: ['orders', 'trades'].flatMap((k) => (['on', 'off'] as const).map((side) => ({ stream: k, side, p50Ms: stat(side, k, 50), p99Ms: stat(side, k, 99), cpuP50Ms: stat(side, k, 50, 'cpu'), rowsPerS: rowsPerS(side, k) }))) }
    const md = `# What the data-version views cost ingestion (${result.date})

\`npx tsx bench/history/versions-ingest.ts --runs ${runs} --batches ${batches} --rows ${rowsPerBatch}\`: INSERTs into the embedded engine
(one process, no gateway) of ${Math.ceil(rowsPerBatch / 2)}-line order batches (views: sales_1m, sales_1h, product_sales_1h, customer_stats,
customer_refunds, and mv_data_version_buckets_from_orders) and ${rowsPerBatch}-trade batches (candles_1s/1m/1h and the version view), ${batches} of each
per side and run, with the four data-version views attached ("on") and detached ("off", the baseline), alternating which goes
first. Figures: median over ${runs} runs of each run's p50 and p99. Machine: ${result.machine.cpus} cores shared with other work (1-min load after each run: ${perRun.map((r) => r.load1).join(', ')}).

| stream | versions | CPU ms per INSERT (p50) | wall p50 ms | wall p99 ms | rows per CPU-second |
|---|---|---|---|---|---|
${result.table.map((t) => `| ${t.stream} | ${t.side} | ${t.cpuP50Ms.toFixed(1)} | ${t.p50Ms.toFixed(1)} | ${t.p99Ms.toFixed(1)} | ${Math.round(t.rowsPerS)} |`).join('\n')}
`
    console.log(writeReport('cache-versions-ingest', result, md).join('\n'))
  } finally {
    await ch.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

void main().catch((e) => {
  console.error(e)
  process.exit(1)
})
