// How batches of rows become INSERTs (shared by the embedded sink, dead letters and the Kafka
// consumer): split by partition so a backfill never passes ClickHouse's partition limit, a
// deduplication token on every INSERT, and an engine refusal isolated to the rows it concerns.
import type { ClickHouseClient } from '@clickhouse/client'
import type { Part, Refusal } from './batcher.ts'

/**
 * Days (daily partitions of trades, web_events, candles_1s/1m) one INSERT may touch. ClickHouse
 * refuses a block over 100 partitions (max_partitions_per_insert_block), and a 100-day backfill
 * answered 503 forever; half of that leaves room for rollups partitioned the same way.
 */
export const maxDaysPerInsert = 50

/** Engine errors about the data itself: another INSERT without the offending rows succeeds. */
const refusalTypes = /PARSE|INCORRECT_DATA|TYPE_MISMATCH|OUT_OF_BOUND|OUT_OF_RANGE|OVERFLOW|CANNOT_CONVERT|ENUM|TOO_LARGE_STRING|CANNOT_INSERT_NULL|ILLEGAL_TYPE|BAD_ARGUMENTS|CANNOT_READ|INCORRECT_JSON|UTF/

/** Whether an INSERT failed because of its rows (a refusal), not because ClickHouse is unwell. */
export const isRefusal = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && typeof (e as { type?: unknown }).type === 'string' && refusalTypes.test((e as { type: string }).type)

/**
 * One INSERT. With `token`, ClickHouse stores its blocks at most once per token, in the table
 * and in every rollup fed by it (each keeps a deduplication window); an INSERT replayed with the
 * same token (a Kafka re-delivery) is then dropped, or completed where it was only partly
 * written. Every INSERT states its settings: chDB keeps them on the connection's session, so an
 * INSERT without a token would reuse the previous one and be dropped as a duplicate.
 */
export async function insertRows(ch: ClickHouseClient, table: string, rows: object[], token: string | undefined): Promise<void> {
  const clickhouse_settings = token === undefined
    ? { insert_deduplicate: 0 as const }
    : { insert_deduplicate: 1 as const, insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 as const }
  const compact = compactRows(rows)
  if (compact) await ch.insert({ table, columns: compact.columns, values: compact.values, format: 'JSONCompactEachRow', clickhouse_settings })
  else await ch.insert({ table, values: rows, format: 'JSONEachRow', clickhouse_settings })
}

const plainColumn = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Rows as JSONCompactEachRow (`[v1,v2,…]` per row under one column list) when every row has the
 * same keys in the same order (rows from one validator do) and no value is undefined; else
 * undefined (JSONEachRow then, where a missing key takes the column's default). The engine
 * parses the compact form for about two thirds of JSONEachRow's CPU at 10k–50k-row INSERTs
 * (bench/results/2026-12-05-ingest-formats.md: 177k vs 123k rows per CPU-second) and the body is
 * ~40 % smaller; the values are the same JSON, so Decimal and DateTime64 text stays exact.
 */
export function compactRows(rows: readonly object[]): { columns: [string, ...string[]]; values: unknown[][] } | undefined {
  if (rows.length === 0) return undefined
  const columns = Object.keys(rows[0])
  if (columns.length === 0 || !columns.every((c) => plainColumn.test(c))) return undefined
  const values = new Array<unknown[]>(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as Record<string, unknown>
    const out = new Array<unknown>(columns.length)
    let c = 0
    for (const key in row) {
      const v = row[key]
      if (key !== columns[c] || v === undefined) return undefined
      out[c++] = v
    }
    if (c !== columns.length) return undefined
    values[i] = out
  }
  return { columns: columns as [string, ...string[]], values }
}

/** A part's rows of one UTC day (one partition), never split across INSERTs. */
export interface Unit {
  part: number
  day: string
  rows: object[]
  /** Each row's index within its part. */
  indexes: number[]
}

/** Splits each part by day (`dayOf`), keeping each part's rows of one day together. */
export function unitsOf(parts: Part[], dayOf: (row: object) => string): Unit[] {
  const units: Unit[] = []
  parts.forEach((part, p) => {
    const byDay = new Map<string, Unit>()
    part.rows.forEach((row, i) => {
      const day = dayOf(row)
      let unit = byDay.get(day)
      if (!unit) byDay.set(day, (unit = { part: p, day, rows: [], indexes: [] }))
      unit.rows.push(row)
      unit.indexes.push(i)
    })
    units.push(...byDay.values())
  })
  return units
}

/** Packs units into INSERTs of at most `maxRows` rows (unless one unit is larger) and `maxDays` distinct days. */
export function pack(units: Unit[], maxRows: number, maxDays = maxDaysPerInsert): Unit[][] {
  const groups: Unit[][] = []
  let current: Unit[] = []
  let rows = 0
  let days = new Set<string>()
  for (const unit of [...units].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0))) {
    const newDay = !days.has(unit.day)
    if (current.length > 0 && (rows + unit.rows.length > maxRows || (newDay && days.size >= maxDays))) {
      groups.push(current)
      ;[current, rows, days] = [[], 0, new Set()]
    }
    current.push(unit)
    rows += unit.rows.length
    days.add(unit.day)
  }
  if (current.length > 0) groups.push(current)
  return groups
}

export type Insert = (rows: object[], token: string | undefined) => Promise<void>

/** Most extra INSERTs spent finding refused rows in one group before the rest of a part is refused unexamined. */
const maxIsolationWrites = 64

/**
 * Inserts one group; when ClickHouse refuses it, inserts each part's rows alone and bisects a
 * refused part down to the rows the engine refuses, so one request's bad line never fails
 * another request's rows. Tokens of the retries derive from `token`, so a replay of the same
 * rows (Kafka) isolates the same way and deduplicates. Answers refusals per part.
 */
export async function insertIsolating(insert: Insert, group: Unit[], token: string | undefined, partCount: number): Promise<Refusal[][]> {
  const refused: Refusal[][] = Array.from({ length: partCount }, () => [])
  let failure: unknown
  try {
    await insert(group.length === 1 ? group[0].rows : group.flatMap((u) => u.rows), token)
    return refused
  } catch (e) {
    if (!isRefusal(e)) throw e
    failure = e
  }
  const budget = { writes: maxIsolationWrites }
  const byPart = new Map<number, Unit[]>()
  for (const unit of group) byPart.set(unit.part, [...(byPart.get(unit.part) ?? []), unit])
  for (const [part, units] of byPart) {
    const rows = units.flatMap((u) => u.rows)
    const indexes = units.flatMap((u) => u.indexes)
    // A part alone in the group has just been refused whole: go straight to its halves.
    const known = byPart.size === 1 ? failure : undefined
    refused[part].push(...(await bisect(insert, rows, indexes, token === undefined ? undefined : `${token}/p${part}`, budget, known)))
  }
  return refused
}

/** Refusals among `rows`; `refusedWhole` is the error of an INSERT of exactly these rows, when already tried. */
async function bisect(insert: Insert, rows: object[], indexes: number[], token: string | undefined, budget: { writes: number }, refusedWhole?: unknown): Promise<Refusal[]> {
  if (rows.length === 0) return []
  let error = refusedWhole
  if (error === undefined) {
    if (budget.writes-- <= 0) return indexes.map((index) => refusal(index, 'ENGINE_REFUSED', 'refused with other lines of its batch; not isolated (too many refused lines)'))
    try {
      await insert(rows, token)
      return []
    } catch (e) {
      if (!isRefusal(e)) throw e
      error = e
    }
  }
  if (rows.length === 1) return [refusal(indexes[0], 'ENGINE_REFUSED', `ClickHouse refused the line: ${(error as Error).message}`)]
  const half = Math.ceil(rows.length / 2)
  const sub = (i: number) => (token === undefined ? undefined : `${token}.${i}`)
  return [
    ...(await bisect(insert, rows.slice(0, half), indexes.slice(0, half), sub(0), budget)),
    ...(await bisect(insert, rows.slice(half), indexes.slice(half), sub(1), budget)),
  ]
}

/** Inserts each group in turn (`tokenOf(i)` for group i) and gathers the refusals per part. */
export async function insertGroups(insert: Insert, groups: Unit[][], tokenOf: (group: number) => string | undefined, partCount: number): Promise<Refusal[][]> {
  const refused: Refusal[][] = Array.from({ length: partCount }, () => [])
  for (const [i, group] of groups.entries()) {
    const groupRefused = await insertIsolating(insert, group, tokenOf(i), partCount)
    groupRefused.forEach((r, p) => refused[p].push(...r))
  }
  return refused
}

const refusal = (index: number, code: string, message: string): Refusal => ({ index, code, message: message.slice(0, 500) })

/** The UTC day of a row's `ts` ('YYYY-MM-DD hh:mm:ss.sss', as validation writes it). */
export const dayOfTs = (row: object): string => String((row as { ts?: unknown }).ts ?? '').slice(0, 10)
