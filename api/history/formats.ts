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

const acceptable: Record<string, Format> = {
  'application/json': 'json', 'text/csv': 'csv',
  'application/msgpack': 'msgpack', 'application/x-msgpack': 'msgpack', 'application/vnd.msgpack': 'msgpack',
}

/**
 * `?format=` wins (download links), then the Accept header: the listed type with the highest
 * quality, the first of equals; never one listed with q=0. JSON by default.
 */
export function negotiate(accept: string | undefined, format: string | undefined): Format | undefined {
  if (format) return (['json', 'csv', 'msgpack'] as const).find((f) => f === format)
  let best: { format: Format; q: number } | undefined
  for (const entry of (accept ?? '').toLowerCase().split(',')) {
    const [type, ...params] = entry.split(';').map((p) => p.trim())
    const f = acceptable[type]
    const qParam = params.find((p) => /^q\s*=/.test(p))
    const q = qParam === undefined ? 1 : Number(qParam.slice(qParam.indexOf('=') + 1))
    if (f && q > 0 && (!best || q > best.q)) best = { format: f, q }
  }
  return best?.format ?? 'json'
}

/** RFC 4180 CSV with a header row, formula-like cells escaped (core/csv.ts, shared with the UI's export). */
export const toCsv = (r: QueryResult): string =>
  csvRows(r.columns.map((c) => c.name), r.rows.map((row) => r.columns.map((c) => row[c.name])))

export const toMsgpack = (r: QueryResult): Uint8Array => pack(r)
