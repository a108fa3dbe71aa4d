// Golden tests for the rollups in clickhouse/views, in the style of ClickHouse's
// tests/queries/0_stateless: each folder NNN_name/ holds input-N.ndjson (rows for the
// raw table named by `-- source: <table>` in query.sql, one INSERT per file), query.sql
// and query.reference (the exact TabSeparated output of every statement, in order).
// `UPDATE=1 npx vitest run clickhouse/tests` re-records the references; read them before committing.
import type { ClickHouseClient } from '@clickhouse/client'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClickHouse } from '../../api/clickhouse/client.ts'
import { applyMigrations } from '../../api/clickhouse/migrate.ts'
import { splitSql } from '../../api/clickhouse/split-sql.ts'

const here = dirname(fileURLToPath(import.meta.url))
const update = process.env.UPDATE === '1'
const cases = readdirSync(here, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && /^\d{3}_[a-z0-9_]+$/.test(entry.name))
  .map((entry) => entry.name)
  .sort()

// ClickHouse test syntax `stmt; -- { serverError NAME_OR_CODE }`, moved inside the statement
// as a block comment so splitSql keeps it with the statement it belongs to.
const errorMarker = /;[ \t]*--[ \t]*\{[ \t]*serverError[ \t]+(\w+)[ \t]*\}/g
const expectedError = /\/\* expect serverError (\w+) \*\//
const producesRows = /^(SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|EXISTS)\b/i
// Columns pin 'UTC' already; this pins the fixtures' functions that would use the host's zone.
const utc = { session_timezone: 'UTC' }

let dataDir: string
let ch: ClickHouseClient

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'lh-golden-'))
  // The engine in-process, through the same factory the gateway uses.
  ch = createClickHouse({ dataDir }, 'ops')
  await applyMigrations(ch)
  // Fixtures are dated in the past, so background TTL merges (trades 90 days, candles_1s
  // 2 days) would delete them mid-test; stopped merges also keep every INSERT's partial
  // rows apart, so stored-row counts are deterministic. STOP MERGES only reaches tables
  // that exist when it runs, hence after the migrations.
  await ch.command({ query: 'SYSTEM STOP MERGES' })
  await ch.command({ query: 'SYSTEM STOP TTL MERGES' })
}, 120_000)

afterAll(async () => {
  await ch?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('rollup golden files', () => {
  it.each(cases)('%s', async (name) => {
    const dir = join(here, name)
    const outputs = await runCase(dir)
    const actual = outputs.join('')
    const referencePath = join(dir, 'query.reference')
    if (update) writeFileSync(referencePath, actual)
    // Guards that hold even while re-recording: the rollup read (first statement) is not
    // empty, and the last statement, comparing rollup with raw, finds no difference.
    expect(outputs[0], `${name}: first statement returned no rows`).not.toBe('')
    expect(outputs.at(-1), `${name}: rollup and raw differ`).toBe('0\n')
    expect(actual).toBe(readFileSync(referencePath, 'utf8'))
  }, 60_000)
})

describe('golden runner', () => {
  it('reports a difference when the rollup misses a raw row', async () => {
    const dir = join(here, '002_candles_1m')
    const reference = readFileSync(join(dir, 'query.reference'), 'utf8')
    // The recorded reference is not vacuous: it holds candles with trades in them.
    expect(reference).toMatch(/^BTC-USD\t2025-03-14 10:00:00\t.*\t[1-9]\d*\t[^\t]+\n/m)
    const bypass = 'INSERT INTO trades (id, ts, symbol, price, qty, side) ' +
      "VALUES ('x01', '2025-03-14 10:00:30.000', 'BTC-USD', 500, 1, 'buy')"
    const outputs = await runCase(dir, async () => {
      // A trade that reaches trades while the view is detached never reaches candles_1m.
      await ch.command({ query: 'DETACH TABLE mv_candles_1m_from_trades' })
      try {
        await ch.command({ query: bypass })
      } finally {
        await ch.command({ query: 'ATTACH TABLE mv_candles_1m_from_trades' })
      }
    })
    expect(outputs.at(-1)).toBe('2\n')
    expect(outputs.join('')).not.toBe(reference)
  }, 60_000)
})

/** Resets every table, inserts the folder's inputs, runs query.sql; returns each statement's output. */
async function runCase(dir: string, afterInsert?: () => Promise<void>): Promise<string[]> {
  const sql = readFileSync(join(dir, 'query.sql'), 'utf8')
  const source = /^--\s*source:\s*([a-z_][a-z0-9_]*)\s*$/m.exec(sql)?.[1]
  if (!source) throw new Error(`${dir}/query.sql: needs a line naming its raw table, e.g. -- source: trades`)
  await truncateAll()
  for (const file of inputFiles(dir)) {
    const rows = readFileSync(join(dir, file), 'utf8')
    await ch.command({ clickhouse_settings: utc, query: `INSERT INTO ${source} FORMAT JSONEachRow\n${rows}` })
  }
  await afterInsert?.()
  const outputs: string[] = []
  for (const statement of splitSql(sql.replace(errorMarker, ' /* expect serverError $1 */;'))) {
    outputs.push(await runStatement(statement))
  }
  return outputs
}

async function truncateAll(): Promise<void> {
  const rs = await ch.query({
    query: `SELECT name FROM system.tables
      WHERE database = currentDatabase() AND engine LIKE '%MergeTree%' AND name != 'livehouse_migrations'`,
    format: 'JSONEachRow',
  })
  for (const { name } of await rs.json<{ name: string }>()) {
    await ch.command({ query: `TRUNCATE TABLE ${name}` })
  }
}

/** input-1.ndjson, input-2.ndjson, … in numeric order. */
function inputFiles(dir: string): string[] {
  const number = (file: string) => Number(/^input-(\d+)\.ndjson$/.exec(file)?.[1] ?? NaN)
  return readdirSync(dir)
    .filter((file) => Number.isInteger(number(file)))
    .sort((a, b) => number(a) - number(b))
}

async function runStatement(statement: string): Promise<string> {
  const expected = expectedError.exec(statement)?.[1]
  const body = statement.replace(/^(\s*--[^\n]*\n)+/, '').trim()
  try {
    if (!producesRows.test(body)) {
      await ch.command({ clickhouse_settings: utc, query: statement })
      if (expected) throw new Error(`expected serverError ${expected}, statement succeeded:\n${statement}`)
      return ''
    }
    const rs = await ch.query({ clickhouse_settings: utc, query: statement, format: 'TabSeparated' })
    const text = await rs.text()
    if (expected) throw new Error(`expected serverError ${expected}, statement succeeded:\n${statement}`)
    return text
  } catch (error) {
    const code = (error as { code?: string }).code
    if (!expected || !code || !/^\d+$/.test(code)) throw error
    // Matched by code, never by message: the marker may give the number or the name.
    const rs = await ch.query({ query: `SELECT errorCodeToName(${code})`, format: 'TabSeparated' })
    const codeName = (await rs.text()).trim()
    if (expected !== code && expected !== codeName) {
      throw new Error(`expected serverError ${expected}, got ${code} (${codeName})`, { cause: error })
    }
    return ''
  }
}
