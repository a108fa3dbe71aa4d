// What one uncached catalog query costs the engine, and what changes it (issue 16 item 3):
// `npx tsx bench/history/catalog-cost.ts [--runs 5] [--n 40]`. The history fixtures are loaded
// through a real gateway into a data directory, then this process opens that directory with
// chDB, as the gateway's catalog connections do, and runs each variant (query text, session
// settings, result format) N times in turn, round after round, every call a distinct closed
// range. Per call: this process's CPU (chDB's threads included), wall time, and chDB's own
// ProfileEvents from system.events (parse, analysis, plan, pipeline, query time).
// A second part runs the main variants on 4 connections × 4 calls in flight (the gateway's
// default pool under the catalog scenario's 16 clients): calls/s and CPU per call.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { ClickHouseClient, ClickHouseSettings, DataFormat } from '@clickhouse/client'
import { createClickHouse } from '../../api/clickhouse/client.ts'
import { loadCatalog, type CatalogQuery } from '../../api/history/catalog.ts'
import { catalogSettings, catalogStatement } from '../../api/history/execute.ts'
import { resolveCall } from '../../api/history/params.ts'
import type { Principal } from '../../core/roles.ts'
import { startGateway } from '../../test/support/gateway.ts'
import { machine, writeReport } from '../lib/report.ts'
import { median } from '../lib/stats.ts'
import { loadFixtures } from './scenario.ts'

const { values } = parseArgs({ options: { runs: { type: 'string' }, n: { type: 'string' }, name: { type: 'string' } } })
const runs = Number(values.runs ?? 5)
const n = Number(values.n ?? 40)
const hour = 3600_000
const admin: Principal = { sub: 'bench', roles: new Set(['admin']), symbols: '*', shops: '*' }
/** The catalog scenario's queries and parameters (bench/history/catalog.ts). */
const calls: Record<string, string> = {
  sales_overview: '', sales_trend: 'metric=revenue&interval=1h', top_products: 'by=revenue', category_breakdown: '', funnel: '', candles: 'symbol=BTC-USD&interval=1m',
}
/** The catalog SQL before this measurement's rewrites (sales_overview, sales_trend), from git: the "before" of the same run. */
const before = '761bee2557ebb25facaa3ac8adc27c96f39dd815'
const sqlBody = (text: string) => text.split('\n').filter((l) => !/^\s*--\s*@/.test(l)).join('\n').trim()

interface Variant {
  name: string
  query: string
  /** Replaces the catalog SQL (same parameters). */
  sql?: string
  /** Set once on the session before `readonly`, as catalogSettings does. */
  session?: ClickHouseSettings
  /** Send the catalog settings with every call (the gateway does: chDB turns them into SET statements). */
  perCall?: boolean
  format?: DataFormat
  /** Run this text instead of a catalog call. */
  fixed?: string
}

const oldSql = (name: string) => sqlBody(execFileSync('git', ['show', `${before}:api/queries/${name}.sql`], { encoding: 'utf8' }))
const overviewOld = oldSql('sales_overview')
const overviewInner = overviewOld.split('FROM\n    (\n')[1].split('\n    )\n    GROUP BY currency')[0]
const one = { max_threads: 1 }
const sequential: Variant[] = [
  { name: 'SELECT 1', query: '', fixed: 'SELECT 1' },
  { name: 'SELECT 1, catalog settings per call', query: '', fixed: 'SELECT 1', perCall: true },
  { name: 'sales_overview before (3 levels, if())', query: 'sales_overview', sql: overviewOld, perCall: true },
  { name: 'before, max_threads=1', query: 'sales_overview', sql: overviewOld, perCall: true, session: one },
  { name: 'before, enable_analyzer=0', query: 'sales_overview', sql: overviewOld, perCall: true, session: { enable_analyzer: 0 } },
  { name: 'now (2 levels, nullIf)', query: 'sales_overview', perCall: true },
  { name: 'now, max_threads=1', query: 'sales_overview', perCall: true, session: one },
  { name: 'now, max_threads=1, settings once', query: 'sales_overview', session: one },
  { name: 'now, max_threads=1, no condition cache', query: 'sales_overview', perCall: true, session: { ...one, use_query_condition_cache: 0 } },
  { name: 'now, max_threads=1, pread', query: 'sales_overview', perCall: true, session: { ...one, local_filesystem_read_method: 'pread' } },
  { name: 'now, max_threads=1, JSONCompact', query: 'sales_overview', perCall: true, session: one, format: 'JSONCompact' },
  { name: 'now, max_threads=1, JSONEachRow', query: 'sales_overview', perCall: true, session: one, format: 'JSONEachRow' },
  { name: 'inner aggregate only (pivot in JS: the floor)', query: 'sales_overview', sql: overviewInner, perCall: true, session: one },
  { name: 'sales_trend before (3 levels, every uniqExact merged)', query: 'sales_trend', sql: oldSql('sales_trend'), perCall: true },
  { name: 'sales_trend before, max_threads=1', query: 'sales_trend', sql: oldSql('sales_trend'), perCall: true, session: one },
  ...Object.keys(calls).filter((q) => q !== 'sales_overview').flatMap((query): Variant[] => [
    { name: `${query}`, query, perCall: true },
    { name: `${query}, max_threads=1`, query, perCall: true, session: one },
    { name: `${query}, max_threads=1, settings once`, query, session: one },
  ]),
]
const concurrent: Variant[] = [sequential[2], sequential[5], sequential[6], sequential[7]]
const events = ['QueryParseMicroseconds', 'QueryAnalysisMicroseconds', 'QueryPlanBuildMicroseconds', 'QueryPlanOptimizeMicroseconds', 'QueryPipelineBuildMicroseconds', 'QueryTimeMicroseconds']

const dataDir = mkdtempSync(join(tmpdir(), 'lh-catalog-cost-'))
try {
  const base = Math.floor(Date.now() / hour) * hour - 3 * hour
  const gw = await startGateway({}, dataDir)
  await loadFixtures(gw, base)
  await gw.stop()
  const catalog = loadCatalog()
  const ops = createClickHouse({ dataDir }, 'ops')
  await settle(ops)
  let k = 0
  const statement = (v: Variant) => {
    if (v.fixed) return v.fixed
    const q: CatalogQuery = { ...catalog.get(v.query)!, ...(v.sql ? { sql: v.sql } : {}) }
    k++ // a distinct closed range per call, as the catalog scenario sends
    const input = Object.fromEntries(new URLSearchParams(`${calls[v.query]}&from=${new Date(base + k).toISOString()}&to=${new Date(base + 2 * hour + k).toISOString()}`))
    return catalogStatement(q, resolveCall(q, input, admin, base + 3 * hour).bound)
  }
  const settings = catalogSettings(30)
  const open = async (v: Variant) => {
    const ch = createClickHouse({ dataDir }, 'queries')
    await ch.query({ query: 'SELECT 1', clickhouse_settings: { ...v.session, ...settings } })
    return ch
  }
  const call = async (ch: ClickHouseClient, v: Variant) => {
    const rs = await ch.query({ query: statement(v), format: v.format ?? 'JSON', clickhouse_settings: v.perCall ? settings : undefined })
    return rs.json() // parsed, as the gateway parses each answer
  }
  const counters = async () => Object.fromEntries((await (await ops.query({ query: 'SELECT event, value FROM system.events', format: 'JSONEachRow' })).json<{ event: string; value: string }>()).map((r) => [r.event, Number(r.value)]))

  // Sequential: one connection per variant, N calls per round.
  const seqConns = await Promise.all(sequential.map(async (v) => ({ v, ch: await open(v) })))
  for (const { v, ch } of seqConns) for (let i = 0; i < 5; i++) await call(ch, v)
  const seq = new Map<string, Record<string, number>[]>()
  for (let run = 0; run < runs; run++) {
    for (const { v, ch } of seqConns) {
      const e0 = await counters()
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      for (let i = 0; i < n; i++) await call(ch, v)
      const cpu = process.cpuUsage(c0)
      const wallMs = performance.now() - t0
      const e1 = await counters()
      const r: Record<string, number> = { cpuMs: (cpu.user + cpu.system) / 1000 / n, wallMs: wallMs / n, load1: loadavg()[0] }
      for (const e of events) r[e] = ((e1[e] ?? 0) - (e0[e] ?? 0)) / 1000 / n
      seq.set(v.name, [...(seq.get(v.name) ?? []), r])
    }
    console.log(`catalog-cost: sequential round ${run + 1}/${runs}, load ${loadavg()[0].toFixed(2)}`)
  }
  // Concurrent: 4 connections, 4 calls in flight on each, for a fixed time per variant and round.
  const conc = new Map<string, Record<string, number>[]>()
  const concConns = await Promise.all(concurrent.map(async (v) => ({ v, chs: await Promise.all([0, 1, 2, 3].map(() => open(v))) })))
  for (let run = 0; run < runs; run++) {
    for (const { v, chs } of concConns) {
      let done = 0
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      const end = t0 + 3000
      await Promise.all(chs.flatMap((ch) => [0, 1, 2, 3].map(async () => { while (performance.now() < end) (await call(ch, v), done++) })))
      const cpu = process.cpuUsage(c0)
      const s = (performance.now() - t0) / 1000
      conc.set(v.name, [...(conc.get(v.name) ?? []), { callsPerS: done / s, cpuMs: (cpu.user + cpu.system) / 1000 / done, load1: loadavg()[0] }])
    }
    console.log(`catalog-cost: concurrent round ${run + 1}/${runs}, load ${loadavg()[0].toFixed(2)}`)
  }
  report(seq, conc)
  process.exit(0)
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}

/** Waits until the fixtures' parts stop merging, so every variant reads the same parts. */
async function settle(ch: ClickHouseClient) {
  for (let i = 0; i < 60; i++) {
    const [{ merges }] = await (await ch.query({ query: 'SELECT count() AS merges FROM system.merges', format: 'JSONEachRow' })).json<{ merges: string }>()
    if (Number(merges) === 0 && i >= 3) return
    await new Promise((r) => setTimeout(r, 1000))
  }
}

function report(seq: Map<string, Record<string, number>[]>, conc: Map<string, Record<string, number>[]>) {
  const med = (rs: Record<string, number>[], key: string) => Number((median(rs.map((r) => r[key])) ?? 0).toFixed(2))
  const range = (rs: Record<string, number>[], key: string) => `${Math.min(...rs.map((r) => r[key])).toFixed(2)}–${Math.max(...rs.map((r) => r[key])).toFixed(2)}`
  const loads = [...seq.values(), ...conc.values()].flat().map((r) => r.load1)
  const short = (e: string) => e.replace('Query', '').replace('Microseconds', '')
  const md = [
    `# What one uncached catalog query costs the engine (${new Date().toISOString()})`,
    '',
    `\`npx tsx bench/history/catalog-cost.ts --runs ${runs} --n ${n}\`: the history fixtures (10,000 orders, 20,000 trades and web events over two hours) loaded through a gateway, then chDB opened in this process as the catalog's connections open it (catalogSettings, readonly). ${runs} rounds; in each, every variant runs ${n} calls on its own connection, one at a time, each a distinct closed two-hour range. Medians over the rounds (range in brackets). "CPU ms" is this process's CPU (chDB's threads included) per call; the other columns are chDB's ProfileEvents per call, in ms of wall time (parse, analysis, plan build, plan optimisation, pipeline build, and the whole query). sales_overview "before" is the SQL at ${before}. 1-min load average: ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}, ${availableParallelism()} cores.`,
    '',
    `| variant | CPU ms/call | wall ms | ${events.map(short).join(' | ')} |`,
    `|---|---|---|${events.map(() => '---').join('|')}|`,
    ...[...seq].map(([name, rs]) => `| ${name} | ${med(rs, 'cpuMs')} (${range(rs, 'cpuMs')}) | ${med(rs, 'wallMs')} | ${events.map((e) => med(rs, e)).join(' | ')} |`),
    '',
    `4 connections × 4 calls in flight, 3 s per variant and round:`,
    '',
    '| variant | calls/s | CPU ms/call |',
    '|---|---|---|',
    ...[...conc].map(([name, rs]) => `| ${name} | ${med(rs, 'callsPerS').toFixed(0)} (${range(rs, 'callsPerS')}) | ${med(rs, 'cpuMs')} (${range(rs, 'cpuMs')}) |`),
    '',
  ].join('\n')
  const files = writeReport(values.name ?? 'catalog-cost', { scenario: 'catalog-cost', machine: machine(), runs, n, before, sequential: Object.fromEntries(seq), concurrent: Object.fromEntries(conc) }, md)
  console.log(md)
  console.log(files.join('\n'))
}
