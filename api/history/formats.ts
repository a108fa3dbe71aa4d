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
