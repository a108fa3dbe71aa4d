// Issue 16 item 1 asks to measure ClickHouse's own batching of small writes (async_insert=1 with
// wait_for_async_insert=1) against the batcher. This runs it on the engine the gateway embeds:
// the demo's trade rate (1,400 trades/s, 70 % of 2,000 events/s) for `seconds`, into
// `trades_in` with all its views, written three ways in one process, one fresh table set each:
//   sync-50ms   an INSERT every 50 ms (the batcher before slots, INGEST_FLUSH_MS=50)
//   async-50ms  the same INSERTs with async_insert=1, wait_for_async_insert=1 (the engine should
//               gather them into one part per busy timeout)
//   slot-500ms  an INSERT every 500 ms (the batcher's quiet slot now)
// and reports, per way, parts written into trades (its highest block number), the engine's
// AsyncInsertQuery events, CPU seconds per 1,000 rows and each INSERT's wait (p50/p99).
//
// `npx tsx bench/quiet/async-insert.ts --runs 3 --seconds 10`
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { createChdbConnection } from 'chdb/connection'
import { createClient } from '@clickhouse/client'
import { applyMigrations } from '../../api/clickhouse/migrate.ts'
import { oneAtATime } from '../../api/clickhouse/client.ts'
import { machine, writeReport } from '../lib/report.ts'
import { median, percentile } from '../lib/stats.ts'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '10' }, name: { type: 'string', default: 'quiet-async-insert' } } })
const runs = Number(values.runs)
const seconds = Number(values.seconds)
const ratePerS = 1400
const ways = { 'sync-50ms': { everyMs: 50, async: false }, 'async-50ms': { everyMs: 50, async: true }, 'slot-500ms': { everyMs: 500, async: false } } as const
type Way = keyof typeof ways

let seq = 0
function rows(n: number): string {
  let out = ''
  for (let i = 0; i < n; i++, seq++) {
    const ts = new Date(Date.now() - (i % 50)).toISOString().replace('T', ' ').slice(0, 23)
    out += `{"id":"a${seq}","ts":"${ts}","symbol":"SYM${seq % 20}","price":"${100 + (seq % 97)}.25","qty":"1.5","side":"${seq % 2 ? 'buy' : 'sell'}","venue":""}\n`
  }
  return out
}

async function measure(way: Way) {
  const dir = mkdtempSync(join(tmpdir(), 'livehouse-async-insert-'))
  const conn = createChdbConnection({ path: dir }) as unknown as { chdb: { queryAsync(sql: string): Promise<{ text(): string }> } }
  const client = createClient({ connection: oneAtATime(conn as never) as never })
  try {
    await applyMigrations(client)
    const q = async (sql: string) => (await conn.chdb.queryAsync(sql)).text().trim()
    const blocks = async () => Number(await q("SELECT max(max_block_number) FROM system.parts WHERE database = currentDatabase() AND table = 'trades' FORMAT TSV") || 0)
    const asyncEvents = async () => Number(await q("SELECT sum(value) FROM system.events WHERE event = 'AsyncInsertQuery' FORMAT TSV") || 0)
    const { everyMs, async } = ways[way]
    const settings = async ? 'SETTINGS async_insert = 1, wait_for_async_insert = 1, async_insert_busy_timeout_max_ms = 200 ' : ''
    const [b0, e0] = [await blocks(), await asyncEvents()]
    const c0 = process.cpuUsage()
    const waits: number[] = []
    const inFlight: Promise<void>[] = []
    const started = performance.now()
    let inserted = 0
    for (let tick = 1; performance.now() - started < seconds * 1000; tick++) {
      const n = Math.round((ratePerS * everyMs) / 1000)
      const body = rows(n)
      const t = performance.now()
      // Fired without waiting for the previous: with wait_for_async_insert, each waits for the engine's flush.
      inFlight.push(conn.chdb.queryAsync(`INSERT INTO trades_in ${settings}FORMAT JSONEachRow\n${body}`).then(() => void waits.push(performance.now() - t)))
      inserted += n
      await sleep(Math.max(0, started + tick * everyMs - performance.now()))
    }
    await Promise.all(inFlight)
    const wallS = (performance.now() - started) / 1000
    const cpu = process.cpuUsage(c0)
    const [b1, e1] = [await blocks(), await asyncEvents()]
    const stored = Number(await q("SELECT count() FROM trades FORMAT TSV"))
    waits.sort((a, b) => a - b)
    return { way, inserts: inFlight.length, inserted, stored, partsPerS: (b1 - b0) / wallS, asyncInsertQueries: e1 - e0, cpuSPer1kRows: ((cpu.user + cpu.system) / 1e6 / inserted) * 1000, waitP50Ms: percentile(waits, 50), waitP99Ms: percentile(waits, 99), load1: loadavg()[0] }
  } finally {
    await client.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const results: Awaited<ReturnType<typeof measure>>[] = []
for (let run = 0; run < runs; run++) {
  for (const way of Object.keys(ways) as Way[]) {
    const r = await measure(way)
    console.log(JSON.stringify(r))
    results.push(r)
  }
}
const f = (v: number | null | undefined, d = 0) => (v === null || v === undefined ? 'n/a' : v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }))
const sp = (xs: number[], d = 0) => `${f(Math.min(...xs), d)}–${f(Math.max(...xs), d)}`
const md = [
  `# async_insert against the batcher on the embedded engine (${new Date().toISOString()})`,
  '',
  `\`npx tsx bench/quiet/async-insert.ts --runs ${runs} --seconds ${seconds}\`: ${ratePerS.toLocaleString('en-US')} trades/s (the demo's trades at 2,000 events/s) into \`trades_in\` (trades, three candle rollups, data versions) for ${seconds} s per way and run, a fresh chDB each. ` +
    'parts/s: trades\' highest block number (one per part written); AsyncInsertQuery: the engine\'s count of INSERTs it took as asynchronous; CPU: this process (chDB runs in it) per 1,000 rows; wait: one INSERT from send to answer.',
  '',
  '| way | INSERTs/s | parts/s into trades (median) | min–max | AsyncInsertQuery events | CPU s per 1k rows (median) | min–max | INSERT wait p50 ms | p99 ms |',
  '|---|---|---|---|---|---|---|---|---|',
  ...(Object.keys(ways) as Way[]).map((way) => {
    const mine = results.filter((r) => r.way === way)
    return `| ${way} | ${f(1000 / ways[way].everyMs)} | ${f(median(mine.map((r) => r.partsPerS)), 1)} | ${sp(mine.map((r) => r.partsPerS), 1)} | ${mine.map((r) => r.asyncInsertQueries).join(' / ')} | ${f(median(mine.map((r) => r.cpuSPer1kRows)), 3)} | ${sp(mine.map((r) => r.cpuSPer1kRows), 3)} | ${f(median(mine.map((r) => r.waitP50Ms ?? NaN)), 1)} | ${f(median(mine.map((r) => r.waitP99Ms ?? NaN)), 1)} |`
  }),
  '',
  `Load average (1 min) per window: ${results.map((r) => r.load1.toFixed(1)).join(' / ')} on ${machine().cpus} cores (shared machine).`,
  '',
].join('\n')
writeReport(values.name!, { scenario: 'quiet-async-insert', machine: machine(), options: { runs, seconds, ratePerS }, results }, md)
console.log(md)
process.exit(0)
