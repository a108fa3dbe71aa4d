import { pack } from 'msgpackr'
import { toCsv as csvRows } from '../../core/csv.ts'

/** A catalog result as cached: ClickHouse's column metadata and rows (decimals as exact strings). */
export interface QueryResult {
  query: string
  columns: { name: string; type: string }[]
  rows: Record<string, unknown>[]
}

export type Format = 'json' | 'csv' | 'msgpack'

export const contentTypes: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  msgpack: 'application/msgpack',
}

/** `?format=` wins (download links), then the Accept header; JSON by default. */
export function negotiate(accept: string | undefined, format: string | undefined): Format | undefined {
  if (format) return (['json', 'csv', 'msgpack'] as const).find((f) => f === format)
  const a = (accept ?? '').toLowerCase()
  if (a.includes('text/csv')) return 'csv'
  if (a.includes('application/msgpack') || a.includes('application/x-msgpack') || a.includes('application/vnd.msgpack')) return 'msgpack'
  return 'json'
}

/** RFC 4180 CSV with a header row, formula-like cells escaped (core/csv.ts, shared with the UI's export). */
export const toCsv = (r: QueryResult): string =>
  csvRows(r.columns.map((c) => c.name), r.rows.map((row) => r.columns.map((c) => row[c.name])))

export const toMsgpack = (r: QueryResult): Uint8Array => pack(r)
