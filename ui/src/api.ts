// HTTP calls to the gateway with the user's token: catalog queries, dashboards, analyst SQL.
import { signOut, token } from './session.ts'

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message)
  }
}

export interface QueryResult {
  columns: { name: string; type: string }[]
  rows: Record<string, unknown>[]
}

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const r = await fetch(path, { ...init, headers: { authorization: `Bearer ${token() ?? ''}`, ...(init.headers as Record<string, string>) } })
  if (r.ok) return r
  if (r.status === 401) signOut()
  const text = await r.text()
  // The SQL route forwards ClickHouse's own error: its code in a header, its text verbatim.
  const clickhouseCode = r.headers.get('x-clickhouse-exception-code')
  if (clickhouseCode) throw new ApiError(r.status, `CLICKHOUSE_${clickhouseCode}`, text.trim())
  let code = `HTTP_${r.status}`
  let message = text.slice(0, 500)
  try {
    const body = JSON.parse(text)
    code = body.error?.code ?? code
    message = body.error?.message ?? message
  } catch {
    /* not the JSON error body: keep the text */
  }
  throw new ApiError(r.status, code, message)
}

/** Runs one catalog query (`GET /api/v1/q/{name}`). */
export async function query(name: string, params: Record<string, string | number | undefined> = {}): Promise<QueryResult> {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') qs.set(k, String(v))
  return (await call(`/api/v1/q/${name}?${qs}`)).json()
}

export interface CatalogEntry {
  name: string
  description: string
  roles: string[]
  params: { name: string; type: string; required: boolean; default?: string; values?: string[]; description?: string }[]
}

export async function catalog(): Promise<CatalogEntry[]> {
  return (await (await call('/api/v1/q')).json()).queries
}

export interface SqlResult {
  meta: { name: string; type: string }[]
  data: unknown[][]
  rows: number
  statistics?: { elapsed: number; rows_read: number; bytes_read: number }
}

/** Analyst SQL through the gateway (`POST /api/v1/sql`, forwarded to the read-only SQL port). */
export async function sql(text: string): Promise<SqlResult> {
  const body = await (await call('/api/v1/sql?default_format=JSONCompact', { method: 'POST', body: text, headers: { 'content-type': 'text/plain' } })).text()
  try {
    return JSON.parse(body)
  } catch {
    // A query with its own FORMAT clause: show its text as one column.
    return { meta: [{ name: 'result', type: 'String' }], data: body.split('\n').filter(Boolean).map((l) => [l]), rows: 0 }
  }
}

export const api = {
  get: async <T,>(path: string): Promise<T> => (await call(path)).json(),
  send: async <T,>(method: string, path: string, body?: unknown): Promise<T | undefined> => {
    const r = await call(path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } })
    return r.status === 204 ? undefined : r.json()
  },
}
