import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client'
import { Hono, type Context } from 'hono'
import { Readable } from 'node:stream'
import { type Auth } from '../auth.ts'
import { hasRole, type Principal } from '../../core/roles.ts'

/**
 * The ClickHouse HTTP interface for analysts (docs/api.md, SQL for analysts): enough of
 * it that `@clickhouse/client`, clickhouse-connect and curl work as against a server.
 * Every statement runs on the `analyst` connection, whose session is read-only
 * (readonly=1 plus caps, set once at start and re-sent with every query); chDB keeps
 * session settings, so a client's attempt to change one is refused with code 164.
 */
export interface SqlServerOptions {
  auth: Auth
  clickhouse: ClickHouseClient
}

/** Session settings: caps first, readonly last (readonly first would make the caps themselves illegal). */
const settings: ClickHouseSettings = {
  max_execution_time: 60,
  max_memory_usage: String(2 * 1024 ** 3),
  max_result_rows: String(50_000_000),
  max_result_bytes: String(512 * 1024 ** 2),
  result_overflow_mode: 'throw',
  readonly: '1',
}

const maxQueryBytes = 1024 * 1024

/** URL keys the HTTP interface itself consumes; any other key is a setting. */
const httpKeys = new Set(['query', 'database', 'default_format', 'query_id', 'session_id', 'session_timeout', 'session_check',
  'user', 'password', 'quota_key', 'compress', 'decompress', 'buffer_size', 'wait_end_of_query', 'enable_http_compression',
  'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'http_zlib_compression_level', 'role', 'client_protocol_version',
  'output_format_json_quote_64bit_integers_for_http', 'cancel_http_readonly_queries_on_client_close'])

/** A ClickHouse-style failure: `Code: N. DB::Exception: …` with X-ClickHouse-Exception-Code. */
class SqlError extends Error {
  constructor(readonly code: number, readonly name: string, message: string) {
    super(message)
  }
}

const statusOf = (code: number) =>
  [164, 497, 516, 192, 193].includes(code) ? 403 : [60, 81, 46, 47, 16].includes(code) ? 404 : [62, 6, 27, 36, 53, 457, 456, 115].includes(code) ? 400 : 500

export function createSqlServer(o: SqlServerOptions) {
  const app = new Hono()

  const ok = (c: Context) => c.text('Ok.\n', 200, { 'x-clickhouse-server-display-name': 'livehouse' })
  app.get('/ping', ok)
  app.on(['GET', 'HEAD'], '/replicas_status', ok)
  app.all('/', async (c) => {
    const url = new URL(c.req.url)
    if (c.req.method === 'GET' && !url.searchParams.has('query')) return ok(c)
    const queryId = url.searchParams.get('query_id') || crypto.randomUUID()
    const headers = { 'x-clickhouse-query-id': queryId, 'x-clickhouse-timezone': 'UTC', 'x-clickhouse-server-display-name': 'livehouse' }
    try {
      await authenticate(o.auth, c, url)
      const request = await readQuery(c, url)
      if (!request.query.trim()) throw new SqlError(62, 'SYNTAX_ERROR', 'Empty query')
      const db = url.searchParams.get('database')
      if (db && db !== 'default') throw new SqlError(81, 'UNKNOWN_DATABASE', `Database ${db} does not exist`)
      const format = /\bFORMAT\s+(\w+)\s*;?\s*$/i.exec(request.query)?.[1] ?? url.searchParams.get('default_format') ?? 'TabSeparated'
      const result = await o.clickhouse.exec({
        query: request.query,
        query_id: queryId,
        query_params: request.params,
        // The caller's settings come after ours: a different value for any of them fails with 164 (READONLY).
        clickhouse_settings: { ...settings, ...request.settings, default_format: format } as ClickHouseSettings,
      })
      const body = Readable.toWeb(result.stream) as ReadableStream<Uint8Array>
      return new Response(body, { status: 200, headers: { ...headers, 'content-type': contentType(format), 'x-clickhouse-format': format, 'x-clickhouse-summary': JSON.stringify(result.summary ?? {}) } })
    } catch (e) {
      const err = toSqlError(e)
      return c.text(`Code: ${err.code}. DB::Exception: ${err.message}. (${err.name}) (version 26.7.1.1 (livehouse))\n`, statusOf(err.code) as 400, {
        ...headers, 'x-clickhouse-exception-code': String(err.code),
      })
    }
  })
  return app
}

async function authenticate(auth: Auth, c: Context, url: URL): Promise<Principal> {
  let user = c.req.header('x-clickhouse-user') ?? url.searchParams.get('user') ?? 'default'
  let password = c.req.header('x-clickhouse-key') ?? url.searchParams.get('password') ?? ''
  const basic = /^Basic\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString()
    const i = decoded.indexOf(':')
    ;[user, password] = i < 0 ? [decoded, ''] : [decoded.slice(0, i), decoded.slice(i + 1)]
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')
  if (bearer) password = bearer[1]
  const failed = () => new SqlError(516, 'AUTHENTICATION_FAILED', `${user}: Authentication failed: password is incorrect, or there is no user with such name`)
  if (!password) throw failed()
  const principal = await auth.verify(password).catch(() => Promise.reject(failed()))
  if (!hasRole(principal, ['analyst'])) throw new SqlError(497, 'ACCESS_DENIED', `${user}: Not enough privileges. To execute this query, it's necessary to have the role analyst`)
  return principal
}

interface SqlRequest {
  query: string
  params: Record<string, string>
  settings: Record<string, string>
}

async function readQuery(c: Context, url: URL): Promise<SqlRequest> {
  const params: Record<string, string> = {}
  const settings: Record<string, string> = {}
  let query = url.searchParams.get('query') ?? ''
  const take = (k: string, v: string) => {
    if (k.startsWith('param_')) params[k.slice(6)] = unescapeParam(v)
    else if (k === 'query') query = v
    else if (!httpKeys.has(k)) settings[k] = v
  }
  for (const [k, v] of url.searchParams) if (k !== 'query') take(k, v)
  if (c.req.method === 'POST') {
    const type = c.req.header('content-type') ?? ''
    if (type.startsWith('multipart/form-data')) {
      const form = await c.req.formData()
      form.forEach((v, k) => typeof v === 'string' && take(k, v))
    } else {
      const body = await c.req.text()
      if (body) query = query ? `${query}\n${body}` : body
    }
  }
  if (Buffer.byteLength(query) > maxQueryBytes) throw new SqlError(62, 'SYNTAX_ERROR', `Max query size exceeded: ${maxQueryBytes} bytes`)
  return { query, params, settings }
}

const paramEscapes: Record<string, string> = { '0': '\0', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }

/**
 * HTTP clients send `param_*` values in ClickHouse's escaped (TSV) form (`it\'s`), and chDB
 * escapes the string it is given once more before binding; without undoing the first
 * escape the engine would bind `it\'s` instead of `it's`. (An Array value holding a quoted
 * string with `'` inside cannot survive chDB's re-escaping and fails with a parse error.)
 */
function unescapeParam(value: string): string {
  return value.replace(/\\(.)/gs, (_, c: string) => paramEscapes[c] ?? c)
}

function toSqlError(e: unknown): SqlError {
  if (e instanceof SqlError) return e
  const err = e as { code?: string; type?: string; message?: string }
  const code = Number(err.code)
  const message = String(err.message ?? 'unknown error').replace(/^Code: \d+\. DB::Exception: /, '').replace(/\s*\(\w+\)(\s*\(version[^)]*\))?\s*$/, '').replace(/\.$/, '')
  return Number.isInteger(code) && code > 0 ? new SqlError(code, err.type ?? 'UNKNOWN', message) : new SqlError(1002, 'UNKNOWN_EXCEPTION', message)
}

function contentType(format: string): string {
  const f = format.toLowerCase()
  if (f.startsWith('json')) return 'application/json; charset=UTF-8'
  if (f.startsWith('csv')) return 'text/csv; charset=UTF-8; header=present'
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8'
  return 'application/octet-stream'
}

/** Makes the analyst session read-only before the port opens (the first statement must not run writable). */
export async function lockAnalystSession(ch: ClickHouseClient) {
  await ch.query({ query: 'SELECT 1', format: 'JSONEachRow', clickhouse_settings: settings }).then((r) => r.json())
}
