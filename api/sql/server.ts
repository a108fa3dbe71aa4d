import { Hono, type Context } from 'hono'
import { type Auth } from '../auth.ts'
import type { Principal } from '../../core/roles.ts'
import * as access from '../access.ts'
import type { EngineResult, SqlEngine } from './engine.ts'
import { codes, reasonPhrase, SqlError, sqlError, toSqlError } from './errors.ts'
import { contentType } from './formats.ts'
import { frame, framed } from './framed.ts'
import { createNativeUpgrader } from './native.ts'
import { readSqlRequest, type RequestLimits } from './request.ts'
import { compressResponse } from './response-encoding.ts'
import { createSessions } from './sessions.ts'
import { checkSettings, type SqlCaps } from './settings.ts'
import { allowedDatabases } from './tables.ts'

/**
 * The ClickHouse HTTP interface for analysts (docs/sql.md): what a client can tell apart
 * from a ClickHouse server behaves like one. Every statement passes the statement gate
 * (api/sql/gate.ts) and runs in a session of its own (api/sql/engine.ts) under caps,
 * at most `maxQueriesPerUser` at a time per user and `maxConcurrentQueries` in all.
 */
export interface SqlServerOptions {
  auth: Auth
  engine: SqlEngine
  caps: SqlCaps
  limits: RequestLimits
  maxConcurrentQueries: number
  maxQueriesPerUser: number
  sessionTimeoutS: number
  /** Every statement with its user (issue 13: the SQL port logs who ran what). */
  audit(entry: { user: string; queryId: string; query: string; status: number; code?: number; resultRows?: number; elapsedMs: number }): void
}

const displayName = 'livehouse'

export function createSqlServer(o: SqlServerOptions) {
  const app = new Hono()
  const sessions = createSessions({ defaultTimeoutS: o.sessionTimeoutS, maxTimeoutS: 3600, maxPerUser: 16 })
  const running = new Map<string, number>()
  let total = 0
  const versionSuffix = `(version ${o.engine.version} (livehouse))`

  const ok = (c: Context) => c.body('Ok.\n', 200, { 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-server-display-name': displayName })
  app.on(['GET', 'HEAD'], '/ping', ok)
  app.on(['GET', 'HEAD'], '/replicas_status', ok)
  app.on(['GET', 'POST', 'HEAD'], '/', async (c) => {
    const req = c.req.raw
    // HEAD never runs a statement: its answer has no body, so nothing would ever read (and end) the result.
    if (req.method === 'HEAD' || (req.method !== 'POST' && !new URL(req.url).searchParams.has('query'))) return ok(c)
    const started = Date.now()
    const queryId = crypto.randomUUID()
    const base: Record<string, string> = { 'x-clickhouse-server-display-name': displayName, 'x-clickhouse-timezone': 'UTC' }
    let user = '?'
    let query = ''
    let release: (() => void) | undefined
    try {
      const r = await readSqlRequest(req, o.limits)
      query = r.query
      const principal = await authenticate(o.auth, r.user, r.password)
      user = principal.sub
      // The role, and a scoped token only where row policies narrow it: api/access.ts decides.
      const verdict = access.sql(principal, { rowPolicies: o.engine.rowPolicies })
      if (!verdict.ok) throw refusal(principal, verdict)
      const scope = scopeOf(principal)
      const operator = access.isOperator(principal)
      if (!r.query.trim()) throw sqlError('SYNTAX_ERROR', 'Empty query')
      const id = r.queryId || queryId
      base['x-clickhouse-query-id'] = id
      const clientSettings = checkSettings(r.settings, o.caps)
      if (r.settings.session_timezone) base['x-clickhouse-timezone'] = r.settings.session_timezone
      const requested = r.database ?? 'default'
      if (r.database && !allowedDatabases.has(requested)) throw sqlError('UNKNOWN_DATABASE', `Database ${requested} does not exist on the analyst port`)
      // Acquired last before admission: from here every path releases it (admit, or the catch below).
      const session = r.sessionId ? sessions.acquire(user, r.sessionId, r.sessionTimeoutS ?? o.sessionTimeoutS, r.sessionCheck) : undefined
      const database = r.database ?? session?.state.database ?? 'default'
      // Operators (replicas migrating and reading through the port, monitoring) are not counted against analysts' caps.
      release = operator ? () => session?.release() : admit(user, session?.release)
      const result = await o.engine.run({ sql: r.query, params: r.params, settings: clientSettings, format: r.format ?? 'TabSeparated', database, user, queryId: id, signal: req.signal, scope, operator })
      if (result.useDatabase && session) session.state.database = result.useDatabase
      const done = release
      release = undefined
      return await respond(c, result, {
        headers: base, settings: r.settings, compress: r.compress, nativeRevision: Math.min(r.clientProtocolVersion, o.engine.revision),
        onEnd: (status, err) => {
          done()
          o.audit({ user, queryId: id, query, status, code: err?.chCode, resultRows: result.stats().result_rows, elapsedMs: Date.now() - started })
        },
        exceptionText: (e) => `Code: ${e.chCode}. DB::Exception: ${e.message}. (${e.code}) ${versionSuffix}\n`,
      })
    } catch (e) {
      release?.()
      const err = toSqlError(e)
      const status = err.status as number
      o.audit({ user, queryId: base['x-clickhouse-query-id'] ?? queryId, query, status, code: err.chCode, elapsedMs: Date.now() - started })
      return new Response(`Code: ${err.chCode}. DB::Exception: ${err.message}. (${err.code}) ${versionSuffix}\n`, {
        status, statusText: reasonPhrase(status),
        headers: { ...base, 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-exception-code': String(err.chCode) },
      })
    }
  })
  app.all('*', (c) => {
    const status = c.req.method === 'GET' || c.req.method === 'POST' || c.req.method === 'HEAD' ? 404 : 405
    return new Response(`There is no handle ${new URL(c.req.url).pathname.slice(0, 200)}\n`, { status, statusText: reasonPhrase(status), headers: { 'content-type': 'text/plain; charset=UTF-8' } })
  })

  /** Takes a slot for one query of `user`, or refuses as ClickHouse does past max_concurrent_queries_for_user. */
  function admit(user: string, releaseSession?: () => void): () => void {
    const mine = running.get(user) ?? 0
    if (mine >= o.maxQueriesPerUser) {
      releaseSession?.()
      throw sqlError('TOO_MANY_SIMULTANEOUS_QUERIES', `Too many simultaneous queries for user ${user}. Current: ${mine}, maximum: ${o.maxQueriesPerUser}`)
    }
    if (total >= o.maxConcurrentQueries) {
      releaseSession?.()
      throw sqlError('TOO_MANY_SIMULTANEOUS_QUERIES', `Too many simultaneous queries on the analyst port. Maximum: ${o.maxConcurrentQueries}`)
    }
    running.set(user, mine + 1)
    total++
    let once = false
    return () => {
      if (once) return
      once = true
      total--
      const n = (running.get(user) ?? 1) - 1
      if (n) running.set(user, n)
      else running.delete(user)
      releaseSession?.()
    }
  }

  return Object.assign(app, { close: () => sessions.close(), running: () => total })
}

async function authenticate(auth: Auth, user: string, password: string): Promise<Principal> {
  const failed = () => sqlError('AUTHENTICATION_FAILED', `${user}: Authentication failed: password is incorrect, or there is no user with such name`)
  if (!password) throw failed()
  return auth.verify(password).catch(() => Promise.reject(failed()))
}

/** A scoped token's rows for the engine's row policies (api/access.ts sqlScope); undefined for a token that sees everything. */
function scopeOf(p: Principal): { symbols: string; shops: string } | undefined {
  const scope = access.sqlScope(p)
  if (!scope) return undefined
  // The policies take one comma-separated list: an id holding a comma could name two, so it is left out (it matches no row).
  const list = (s: '*' | string[]) => (s === '*' ? '*' : s.filter((v) => !v.includes(',')).join(','))
  return { symbols: list(scope.symbols), shops: list(scope.shops) }
}

/** A denial as ClickHouse answers it (497 ACCESS_DENIED), its message led by the code every surface uses for it. */
function refusal(p: Principal, v: Extract<access.Verdict, { ok: false }>): SqlError {
  return new SqlError(codes.ACCESS_DENIED, 'ACCESS_DENIED', `${v.code}: ${p.sub}: Not enough privileges: ${v.message}`)
}

async function* upgradeNative(chunks: AsyncIterable<Uint8Array>, revision: number): AsyncIterable<Uint8Array> {
  const upgrader = createNativeUpgrader(revision)
  for await (const chunk of chunks) yield* upgrader.push(chunk)
  upgrader.end()
}

interface RespondOptions {
  /** client_protocol_version for Native output (api/sql/native.ts); 0 = as the engine writes it. */
  nativeRevision: number
  headers: Record<string, string>
  settings: Record<string, string>
  compress: boolean
  onEnd(status: number, err?: SqlError): void
  exceptionText(e: SqlError): string
}

/** First bytes (or all of them, with wait_end_of_query=1) before the status line, so an early failure gets its real status. */
const headBufferBytes = 1024 * 1024

async function respond(c: Context, result: EngineResult, options: RespondOptions): Promise<Response> {
  // Ends once: a finished stream may still be cancelled by a client that goes away after it.
  let ended = false
  const o = { ...options, onEnd: (status: number, err?: SqlError) => void (!ended && ((ended = true), options.onEnd(status, err))) }
  const native = result.format.toLowerCase() === 'native' && o.nativeRevision > 0 ? upgradeNative(result.chunks, o.nativeRevision) : result.chunks
  const source = o.compress ? framed(native) : native
  const iterator = source[Symbol.asyncIterator]()
  const head: Uint8Array[] = []
  let buffered = 0
  let finished = false
  const waitEnd = o.settings.wait_end_of_query === '1'
  try {
    while (waitEnd || buffered < headBufferBytes) {
      const next = await iterator.next()
      if (next.done) {
        finished = true
        break
      }
      head.push(next.value)
      buffered += next.value.byteLength
    }
  } catch (e) {
    const err = toSqlError(e)
    o.onEnd(err.status as number, err)
    throw err
  }
  const stats = result.stats()
  const summary = { read_rows: String(stats.read_rows), read_bytes: String(stats.read_bytes), written_rows: '0', written_bytes: '0',
    total_rows_to_read: String(stats.total_rows_to_read), result_rows: String(stats.result_rows), result_bytes: String(stats.result_bytes), elapsed_ns: String(stats.elapsed_ns) }
  const headers = new Headers({ ...o.headers, 'content-type': contentType(result.format), 'x-clickhouse-format': result.format, 'x-clickhouse-summary': JSON.stringify(summary) })
  if (o.settings.send_progress_in_http_headers === '1') {
    const { written_rows, written_bytes, read_rows, read_bytes, total_rows_to_read, result_rows, result_bytes, elapsed_ns } = summary
    headers.append('x-clickhouse-progress', JSON.stringify({ read_rows, read_bytes, written_rows, written_bytes, total_rows_to_read, result_rows, result_bytes, elapsed_ns }))
  }
  let body: ReadableStream<Uint8Array> = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of head) controller.enqueue(chunk)
      if (finished) {
        controller.close()
        o.onEnd(200)
      }
    },
    async pull(controller) {
      try {
        const next = await iterator.next()
        if (next.done) {
          controller.close()
          o.onEnd(200)
        } else {
          controller.enqueue(next.value)
        }
      } catch (e) {
        // After the status line, ClickHouse appends the exception to the body; so does the port.
        const err = toSqlError(e)
        const text = Buffer.from(`\n${o.exceptionText(err)}`)
        controller.enqueue(o.compress ? frame(text) : text)
        controller.close()
        o.onEnd(200, err)
      }
    },
    cancel() {
      void iterator.return?.(undefined)
      o.onEnd(499)
    },
  })
  // compress=1 answers are already framed; HTTP compression is for the others.
  if (!o.compress) body = compressResponse(body, headers, c.req.header('accept-encoding'), o.settings)
  return new Response(body, { status: 200, statusText: 'OK', headers })
}
