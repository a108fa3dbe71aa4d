import { pack } from 'msgpackr'

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

/** RFC 4180 CSV with a header row; arrays and objects as JSON, null as an empty field. */
export function toCsv(r: QueryResult): string {
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return ''
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v)
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  const lines = [r.columns.map((c) => cell(c.name)).join(',')]
  for (const row of r.rows) lines.push(r.columns.map((c) => cell(row[c.name])).join(','))
  return lines.join('\r\n') + '\r\n'
}

export const toMsgpack = (r: QueryResult): Uint8Array => pack(r)
