// What one forecast of every shop costs the engine (the minutely snapshot insights.forecasts runs four):
// today's insight_forecast against the one before views/042 (views/026's SQL, created under another
// name in the same data directory), on the same data, interleaved, and which rows differ (views/042
// gives numbers where 026 gave NaN or flipped signs: a series whose weekday factors averaged to 0 or less).
//   npx tsx bench/insights/forecast-cost.ts [--lines 1000000] [--runs 3] [--name forecast-refresh]
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createClickHouse } from '../../api/clickhouse/client.ts'
import { median } from '../lib/stats.ts'
import { machine, writeReport } from '../lib/report.ts'
import { root } from '../live/processes.ts'

const { values } = parseArgs({ options: { lines: { type: 'string' }, runs: { type: 'string' }, name: { type: 'string' } } })
const lines = Number(values.lines ?? 1_000_000)
const runs = Number(values.runs ?? 3)

const dataDir = mkdtempSync(join(tmpdir(), 'livehouse-forecast-'))
try {
  // Filled by a process of its own: one process at a time opens a data directory.
  const fill = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/quiet/fill-orders.ts'), dataDir, '--lines', String(lines), '--migrate'], { cwd: root, encoding: 'utf8' })
  if (fill.status !== 0) throw new Error(`fill-orders failed: ${fill.stderr}`)
  const db = createClickHouse({ dataDir }, 'ops')
  // Only the queries measured here run: the refreshable views would compete for the cores.
  await db.command({ query: 'SYSTEM STOP VIEWS' })
  const before = readFileSync(join(root, 'clickhouse/views/026_fix_forecast_unseen_weekdays.sql'), 'utf8')
  await db.command({ query: before.slice(before.indexOf('CREATE OR REPLACE VIEW')).replace('VIEW insight_forecast AS', 'VIEW bench_forecast_before AS').replace(/;\s*$/, '') })
  const [{ n }] = await (await db.query({ query: "SELECT toString(uniqExact(shop_id, product_id)) AS n FROM product_sales_1h", format: 'JSONEachRow' })).json<{ n: string }>()

  // The snapshot's four calls, at one fixed as_of so both views see the same history.
  const asOf = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString().slice(0, 19).replace('T', ' ')
  const calls = [['revenue', 3600, 48], ['revenue', 86400, 14], ['units', 3600, 48], ['units', 86400, 14]] as const
  const variants = { before: 'bench_forecast_before', now: 'insight_forecast' }
  const call = (variant: keyof typeof variants, metric: string, stepS: number, horizon: number) =>
    `default.${variants[variant]}(shop = '', metric = '${metric}', product = '', step_s = ${stepS}, horizon = ${horizon}, history_days = 28, as_of = toDateTime64('${asOf}', 3, 'UTC'), enabled = 1)`
  type Row = { run: number; variant: keyof typeof variants; metric: string; stepS: number; ms: number; rows: number; hash: string; loadAvg1m: number }
  const results: Row[] = []
  for (let run = 1; run <= runs; run++) {
    for (const [metric, stepS, horizon] of calls) {
      const order = (run % 2 ? ['before', 'now'] : ['now', 'before']) as (keyof typeof variants)[]
      for (const variant of order) {
        // Hashing every row's text makes the engine compute every column, and tells runs apart that differ.
        const sql = `SELECT toString(count()) AS rows, toString(sum(cityHash64(shop_id, currency, product_id, t, toString(forecast), toString(lower), toString(upper)))) AS hash
          FROM ${call(variant, metric, stepS, horizon)}`
        const t0 = performance.now()
        const [r] = await (await db.query({ query: sql, format: 'JSONEachRow' })).json<{ rows: string; hash: string }>()
        const ms = performance.now() - t0
        results.push({ run, variant, metric, stepS, ms: Math.round(ms), rows: Number(r.rows), hash: r.hash, loadAvg1m: Number(loadavg()[0].toFixed(2)) })
        console.log(`run ${run} ${variant} ${metric} ${stepS}: ${Math.round(ms)} ms, ${r.rows} rows`)
      }
    }
  }
  // Row by row, once per call: the rows that differ, and how many of them were NaN before.
  const diffs = new Map<string, { differ: number; nanBefore: number }>()
  for (const [metric, stepS, horizon] of calls) {
    const cols = 'shop_id, currency, product_id, t, forecast, lower, upper'
    const [d] = await (await db.query({
      query: `SELECT toString(count()) AS differ, toString(countIf(NOT (isFinite(b.forecast) AND isFinite(b.lower) AND isFinite(b.upper)))) AS nan_before
        FROM (SELECT ${cols} FROM ${call('before', metric, stepS, horizon)}) AS b
        FULL OUTER JOIN (SELECT ${cols} FROM ${call('now', metric, stepS, horizon)}) AS a USING (shop_id, currency, product_id, t)
        WHERE toString(a.forecast) != toString(b.forecast) OR toString(a.lower) != toString(b.lower) OR toString(a.upper) != toString(b.upper)`,
      format: 'JSONEachRow',
    })).json<{ differ: string; nan_before: string }>()
    diffs.set(`${metric}:${stepS}`, { differ: Number(d.differ), nanBefore: Number(d.nan_before) })
  }
  await db.close()

  const of = (variant: string, metric: string, stepS: number) => results.filter((r) => r.variant === variant && r.metric === metric && r.stepS === stepS)
  const range = (xs: number[]) => `${Math.min(...xs).toLocaleString('en-US')}–${Math.max(...xs).toLocaleString('en-US')}`
  const rows = calls.map(([metric, stepS, horizon]) => {
    const b = of('before', metric, stepS)
    const a = of('now', metric, stepS)
    const equal = a.every((x, i) => x.hash === b[i].hash && x.rows === b[i].rows)
    const diff = diffs.get(`${metric}:${stepS}`)!
    const msA = a.map((x) => x.ms)
    const msB = b.map((x) => x.ms)
    return `| ${metric} | ${stepS === 3600 ? 'hour' : 'day'} × ${horizon} | ${a[0].rows.toLocaleString('en-US')} | ${median(msA)!.toLocaleString('en-US')} | ${range(msA)} | ${median(msB)!.toLocaleString('en-US')} | ${range(msB)} | ${(median(msB)! / median(msA)!).toFixed(1)}× | ${equal ? 'none' : `${diff.differ.toLocaleString('en-US')} (${diff.nanBefore.toLocaleString('en-US')} NaN before)`} |`
  })
  const md = [
    `# One forecast of every shop: before and after views/042 (${new Date().toISOString()})`,
    '',
    `\`npx tsx bench/insights/forecast-cost.ts --lines ${lines} --runs ${runs}\`: a fresh data directory with ${lines.toLocaleString('en-US')} order lines over the last 30 days (\`bench/quiet/fill-orders.ts\`: 20 shops, ${Number(n).toLocaleString('en-US')} shop-product series), refreshable views stopped; each of the four calls the snapshot \`insights.forecasts\` makes (every shop, 28 days of history, as_of ${asOf} UTC), on today's \`insight_forecast\` ("now") and on views/026's SQL ("before"), in one process, alternating which goes first run by run. Wall time of the whole call; "rows that differ": "none" when the row count and a hash over every row's text (forecast, lower, upper to the last digit) are equal in every run, else the rows whose text differs in a row-by-row comparison, and how many of them the SQL before answered NaN (views/042 gives those numbers).`,
    '',
    '| metric | buckets | rows | now ms (median) | min–max | before ms (median) | min–max | before / now | rows that differ |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Load average (1 min) during the runs: ${range(results.map((r) => r.loadAvg1m))} on ${machine().cpus} cores.`,
    '',
  ].join('\n')
  writeReport(values.name ?? 'forecast-refresh', { scenario: 'forecast-refresh', machine: machine(), lines, runs, asOf, series: Number(n), results, diffs: Object.fromEntries(diffs) }, md)
  console.log(md)
} finally {
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 5 })
}
process.exit(0)
