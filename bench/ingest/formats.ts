// Insert formats against the embedded engine (issue 16 item 2): the same validated trade rows
// (what core/events.ts makes of a line) written into `trades_in` (all its views: trades, three
// candle rollups, data versions) in each format the client can send, one process, no gateway:
//   client-json   @clickhouse/client insert, JSONEachRow objects (the path before this change:
//                 the client stringifies each row, chdb-node joins them into one SQL string)
//   raw-json      JSONEachRow built in JS, handed to chDB as one Buffer (chdb-node's raw insert)
//   raw-compact   JSONCompactEachRow (arrays in column order), raw insert
//   raw-tsv       TabSeparated, raw insert
//   file-rowbinary RowBinary built in JS (Decimal as scaled Int64, DateTime64 as Int64 ms), written
//                 to a tmpfs file and read with INSERT … SELECT FROM file() (chdb-node's raw
//                 insert takes text formats only)
// Per format and batch size: rows per wall second and per CPU second (process.cpuUsage: chDB runs
// in this process), encode time in JS, and an exactness check (sums of price and qty, min/max ts
// read back equal those computed from the input text with BigInt).
//
// `npx tsx bench/ingest/formats.ts --runs 3 --rows 200000 --batches 2000,20000`
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import { applyMigrations } from '../../api/clickhouse/migrate.ts'
import { oneAtATime } from '../../api/clickhouse/client.ts'
import { encodeRows, type InsertFormat } from './encode.ts'
import { machine, writeReport } from '../lib/report.ts'
import { median } from '../lib/stats.ts'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    rows: { type: 'string', default: '200000' },
    batches: { type: 'string', default: '1000,10000,50000' },
    formats: { type: 'string', default: 'client-json,raw-json,raw-compact,raw-tsv,file-rowbinary' },
    name: { type: 'string', default: 'ingest-formats' },
  },
})
const runs = Number(values.runs)
const totalRows = Number(values.rows)
const batchSizes = values.batches!.split(',').map(Number)
const formats = values.formats!.split(',')

const columns = ['id', 'ts', 'symbol', 'price', 'qty', 'side', 'venue'] as const
type Row = Record<(typeof columns)[number], string>

/** Trades as validation leaves them: decimals as exact text, ts as 'YYYY-MM-DD hh:mm:ss.sss'. */
function makeRows(prefix: string, n: number): Row[] {
  const t0 = Date.UTC(2026, 11, 4, 12)
  return Array.from({ length: n }, (_, i) => {
    const ms = t0 + i * 7
    const d = new Date(ms).toISOString()
    return {
      id: `${prefix}-${i}`, ts: `${d.slice(0, 10)} ${d.slice(11, 23)}`, symbol: `SYM${i % 50}`,
      price: `${100 + (i % 9973)}.${String((i * 7919) % 100_000_000).padStart(8, '0')}`,
      qty: `${1 + (i % 5)}.${String((i * 31) % 100_000_000).padStart(8, '0')}`,
      side: i % 2 ? 'buy' : 'sell', venue: i % 3 ? 'X' : '',
    }
  })
}

const scaled = (text: string) => BigInt(text.replace('.', ''))
const expected = (rows: Row[]) => ({
  price: rows.reduce((s, r) => s + scaled(r.price), 0n), qty: rows.reduce((s, r) => s + scaled(r.qty), 0n),
  minTs: rows.reduce((m, r) => (r.ts < m ? r.ts : m), rows[0].ts), maxTs: rows.reduce((m, r) => (r.ts > m ? r.ts : m), rows[0].ts),
})

type Insert = (rows: Row[], token: string) => Promise<void>

function inserters(conn: ReturnType<typeof createChdbConnection>, client: ClickHouseClient, shm: string): Record<string, Insert> {
  const settings = (token: string) => ({ insert_deduplicate: 1 as const, insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 as const })
  const raw = (format: Exclude<InsertFormat, 'RowBinary'>) => async (rows: Row[], token: string) => {
    await conn.chdb.rawInsert({ table: 'trades_in', columns: [...columns], values: encodeRows(format, rows, columns, tradeTypes), format, settings: settings(token) })
  }
  let fileNo = 0
  return {
    'client-json': async (rows, token) => {
      await client.insert({ table: 'trades_in', values: rows, format: 'JSONEachRow', clickhouse_settings: settings(token) })
    },
    'raw-json': raw('JSONEachRow'),
    'raw-compact': raw('JSONCompactEachRow'),
    'raw-tsv': raw('TabSeparated'),
    'file-rowbinary': async (rows, token) => {
      const path = join(shm, `rows-${fileNo++}.bin`)
      writeFileSync(path, encodeRows('RowBinary', rows, columns, tradeTypes))
      const s = settings(token)
      await conn.chdb.queryAsync(`INSERT INTO trades_in (${columns.join(', ')}) SETTINGS insert_deduplicate = 1, insert_deduplication_token = '${s.insert_deduplication_token}', deduplicate_blocks_in_dependent_materialized_views = 1 ` +
        `SELECT * FROM file('${path}', RowBinary, 'id String, ts DateTime64(3, \\'UTC\\'), symbol String, price Decimal(18, 8), qty Decimal(18, 8), side Enum8(\\'buy\\' = 1, \\'sell\\' = 2), venue String')`)
      rmSync(path)
    },
  }
}

const tradeTypes = { id: 'String', ts: 'DateTime64(3)', symbol: 'String', price: 'Decimal64(8)', qty: 'Decimal64(8)', side: 'Enum8(buy=1,sell=2)', venue: 'String' } as const

interface Result { format: string; batch: number; run: number; rowsPerS: number; rowsPerCpuS: number; encodeUsPerRow: number; exact: boolean; detail?: string }

const dir = mkdtempSync(join(tmpdir(), 'livehouse-formats-'))
const shm = mkdtempSync(join('/dev/shm', 'livehouse-formats-'))
const conn = createChdbConnection({ path: dir })
const client = createClient({ connection: oneAtATime(conn as never) as never })
await applyMigrations(client)
const results: Result[] = []
let tokenNo = 0
const loads: number[] = []
try {
  for (let run = 0; run < runs; run++) {
    for (const batch of batchSizes) {
      // Rotate the order per run so no format always runs first on a fresh table.
      const order = formats.map((_, i) => formats[(i + run) % formats.length])
      for (const format of order) {
        const prefix = `${format}-${batch}-${run}`
        const rows = makeRows(prefix, totalRows)
        const insert = inserters(conn, client, shm)[format]
        if (!insert) throw new Error(`unknown format ${format}`)
        const enc0 = performance.now()
        if (format !== 'client-json') for (let i = 0; i < Math.min(rows.length, 20_000); i += batch) encodeRows(format === 'file-rowbinary' ? 'RowBinary' : format === 'raw-compact' ? 'JSONCompactEachRow' : format === 'raw-tsv' ? 'TabSeparated' : 'JSONEachRow', rows.slice(i, i + batch), columns, tradeTypes)
        const encodeUsPerRow = format === 'client-json' ? NaN : ((performance.now() - enc0) * 1000) / Math.min(rows.length, 20_000)
        const c0 = process.cpuUsage()
        const t0 = performance.now()
        for (let i = 0; i < rows.length; i += batch) await insert(rows.slice(i, i + batch), `bench:${tokenNo++}`)
        const wallS = (performance.now() - t0) / 1000
        const cpu = process.cpuUsage(c0)
        const cpuS = (cpu.user + cpu.system) / 1e6
        const want = expected(rows)
        const dec = (v: bigint) => `${v / 100_000_000n}.${String(v % 100_000_000n).padStart(8, '0')}`
        const got = (await (await client.query({
          query: `SELECT sum(price) = toDecimal128('${dec(want.price)}', 8) AND sum(qty) = toDecimal128('${dec(want.qty)}', 8) AS sums, toString(min(ts)) AS a, toString(max(ts)) AS b, count() AS n FROM trades WHERE startsWith(id, '${prefix}-')`,
          format: 'JSONEachRow',
        })).json<{ sums: number; a: string; b: string; n: string }>())[0]
        const exact = Number(got.sums) === 1 && Number(got.n) === rows.length && got.a === want.minTs && got.b === want.maxTs
        const r: Result = { format, batch, run, rowsPerS: rows.length / wallS, rowsPerCpuS: rows.length / cpuS, encodeUsPerRow, exact, detail: exact ? undefined : JSON.stringify({ got, want: { ...want, price: dec(want.price), qty: dec(want.qty) } }) }
        console.log(`${format.padEnd(15)} batch ${String(batch).padStart(6)} run ${run}: ${Math.round(r.rowsPerS).toLocaleString('en-US').padStart(9)} rows/s, ${Math.round(r.rowsPerCpuS).toLocaleString('en-US').padStart(9)} rows/CPU-s, encode ${encodeUsPerRow.toFixed(2)} µs/row, exact ${exact}${r.detail ? ` ${r.detail}` : ''}`)
        results.push(r)
      }
    }
    loads.push(loadavg()[0])
  }
} finally {
  await client.close()
  rmSync(dir, { recursive: true, force: true })
  rmSync(shm, { recursive: true, force: true })
}

const summary = batchSizes.flatMap((batch) => formats.map((format) => {
  const mine = results.filter((r) => r.format === format && r.batch === batch)
  const ps = mine.map((r) => r.rowsPerS)
  const cs = mine.map((r) => r.rowsPerCpuS)
  return { format, batch, rowsPerS: median(ps)!, spread: [Math.min(...ps), Math.max(...ps)], rowsPerCpuS: median(cs)!, cpuSpread: [Math.min(...cs), Math.max(...cs)], encodeUsPerRow: median(mine.map((r) => r.encodeUsPerRow)), exact: mine.every((r) => r.exact) }
}))
const n = (x: number) => Math.round(x).toLocaleString('en-US')
const md = [
  `# Insert formats into the embedded engine (${new Date().toISOString()})`,
  '',
  `\`npx tsx bench/ingest/formats.ts --runs ${runs} --rows ${totalRows} --batches ${batchSizes.join(',')}\`: ${n(totalRows)} validated trade rows per format, batch size and run, INSERTed into \`trades_in\` (its views write trades, candles_1s/1m/1h and the data versions) with a deduplication token each, formats rotated per run. ` +
    'rows/CPU-s: the whole process\'s CPU (chDB runs in it), the figure least moved by other work on the machine; rows/s: wall clock. Exact: sums of price and qty, row count, min/max ts read back equal the input\'s (BigInt over the decimal text).',
  '',
  '| format | batch rows | rows/s (median) | min–max | rows per CPU-second (median) | min–max | JS encode µs/row | exact |',
  '|---|---|---|---|---|---|---|---|',
  ...summary.map((s) => `| ${s.format} | ${n(s.batch)} | ${n(s.rowsPerS)} | ${s.spread.map(n).join('–')} | ${n(s.rowsPerCpuS)} | ${s.cpuSpread.map(n).join('–')} | ${s.encodeUsPerRow === null || Number.isNaN(s.encodeUsPerRow) ? 'in client' : s.encodeUsPerRow.toFixed(2)} | ${s.exact ? 'yes' : '**no**'} |`),
  '',
  `Load average (1 min) after each run: ${loads.map((l) => l.toFixed(1)).join(' / ')} on ${machine().cpus} cores (shared machine).`,
  '',
].join('\n')
const files = writeReport(values.name!, { scenario: 'ingest-formats', machine: machine(), options: { runs, totalRows, batchSizes, formats }, loads, summary, results }, md)
console.log(md)
console.log(`wrote ${files.join(', ')}`)
process.exit(0)
