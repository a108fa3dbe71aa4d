import { Session } from 'chdb'
import { quoteString } from '../clickhouse/literal.ts'
import { parseAstDump } from './ast.ts'
import { sqlError, toSqlError } from './errors.ts'
import { createFunctionPolicy, type FunctionPolicy, type FunctionRow } from './functions.ts'
import { checkStatement, precheck } from './gate.ts'
import { createGateCache, type Verdict } from './gate-cache.ts'
import { engineSettings, type SqlCaps } from './settings.ts'

/**
 * Runs analyst statements on embedded chDB, each request in a session of its own: a new
 * chDB connection gets the complete settings (caps, the client's, readonly=1), the query
 * parameters as `SET param_*` (the engine binds them with a server's exact semantics, and
 * nothing joins chdb-node's process-wide chain of bound queries), and is closed after the
 * answer. Nothing (USE, SET, settings, a failed statement's leftovers) reaches another
 * request, and analysts never share a connection or a queue with catalog, ingest or live.
 */
export interface EngineQuery {
  sql: string
  params: Record<string, string>
  /** Client settings, already checked (api/sql/settings.ts). */
  settings: Record<string, string>
  /** Output format when the statement has no FORMAT clause. */
  format: string
  database: string
  user: string
  /** Answered as X-ClickHouse-Query-Id; also the handle a disconnect cancels by. */
  queryId: string
  signal?: AbortSignal
  /** Role admin: may read Livehouse's own tables (never files, the host or other sessions). */
  operator?: boolean
  /** A scoped token's symbols and shops (comma-separated, or `*`): only an engine with row policies gets one. */
  scope?: { symbols: string; shops: string }
}

export interface Progress {
  read_rows: number
  read_bytes: number
  total_rows_to_read: number
  elapsed_ns: number
}

export interface EngineResult {
  format: string
  kind: string
  /** `USE db`: the database the caller's session switches to. */
  useDatabase?: string
  chunks: AsyncIterable<Uint8Array>
  /** The rows and bytes of the result so far, and the engine's read progress when it was last sampled. */
  stats(): { result_rows: number; result_bytes: number } & Progress
}

export interface SqlEngine {
  run(q: EngineQuery): Promise<EngineResult>
  version: string
  /** The engine's protocol revision (`revision()`), the most a Native client is answered in. */
  revision: number
  /** Whether scoped analysts can be served (row policies); embedded chDB has none. */
  rowPolicies: boolean
  close(): Promise<void>
}

export interface EmbeddedEngineOptions {
  dataDir: string
  caps: SqlCaps
  /** How often a running query's read progress is sampled (system.processes). */
  progressIntervalMs?: number
}

export async function createEmbeddedEngine(o: EmbeddedEngineOptions): Promise<SqlEngine> {
  // The port's own connection (never an analyst's statement): catalogue, progress, KILL.
  const admin = new Session(o.dataDir)
  const text = async (sql: string) => (await admin.queryAsync(sql, { format: 'TSVRaw' })).text()
  const rows = JSON.parse(`[${(await text('SELECT name, is_aggregate, case_insensitive, alias_to, categories FROM system.functions FORMAT JSONEachRow'))
    .trim().split('\n').join(',')}]`) as FunctionRow[]
  const combinators = (await text('SELECT name FROM system.aggregate_function_combinators')).trim().split('\n')
  const functions = createFunctionPolicy(rows, combinators)
  const [version, revision] = (await text('SELECT version(), revision()')).trim().split('\t')
  const verdicts = createGateCache()

  const cancel = (marker: string) =>
    admin.queryAsync(`KILL QUERY WHERE Settings['log_comment'] = ${quoteString(marker)} ASYNC`, { format: 'TSV' }).catch(() => undefined)
  const sample = async (marker: string): Promise<Progress | undefined> => {
    const line = (await text(`SELECT read_rows, read_bytes, total_rows_approx, elapsed FROM system.processes WHERE Settings['log_comment'] = ${quoteString(marker)} LIMIT 1`).catch(() => '')).trim()
    if (!line) return undefined
    const [r, b, t, e] = line.split('\t').map(Number)
    return { read_rows: r, read_bytes: b, total_rows_to_read: t, elapsed_ns: Math.round(e * 1e9) }
  }

  return {
    version,
    revision: Number(revision),
    rowPolicies: false,
    run: (q) => runOne(q, { verdicts, dataDir: o.dataDir, caps: o.caps, functions, cancel, sample, progressIntervalMs: o.progressIntervalMs ?? 100 }),
    async close() {
      admin.close()
    },
  }
}

interface RunDeps {
  verdicts: ReturnType<typeof createGateCache>
  dataDir: string
  caps: SqlCaps
  functions: FunctionPolicy
  cancel(marker: string): Promise<unknown>
  sample(marker: string): Promise<Progress | undefined>
  progressIntervalMs: number
}

async function runOne(q: EngineQuery, d: RunDeps): Promise<EngineResult> {
  const session = new Session(d.dataDir)
  const marker = `livehouse-analyst:${q.queryId}:${crypto.randomUUID()}`
  const exec = (sql: string) => session.queryAsync(sql, { format: 'TSVRaw' }).then((r) => r.text())
  let closed = false
  const close = () => {
    if (!closed) (closed = true), session.close()
  }
  try {
    await exec(`SET ${Object.entries(engineSettings(q.settings, d.caps, marker)).map(([k, v]) => `${k} = ${quoteString(v)}`).join(', ')}`)
    if (q.database !== 'default') await exec(`USE ${backquote(q.database)}`)
    const params = Object.entries(q.params)
    if (params.length) await exec(`SET ${params.map(([k, v]) => `param_${k} = ${quoteString(v)}`).join(', ')}`)
    const verdict = d.verdicts.get(q.sql, q.database, Boolean(q.operator)) ?? (await judge(q, exec, d))
    const gate = verdict
    const formatted = verdict.formatted
    const format = verdict.format ?? q.format
    if (gate.kind === 'UseQuery' || gate.kind === 'Set') {
      await exec(formatted)
      close()
      return { format, kind: gate.kind, useDatabase: gate.useDatabase, chunks: (async function* () {})(), stats: () => ({ result_rows: 0, result_bytes: 0, read_rows: 0, read_bytes: 0, total_rows_to_read: 0, elapsed_ns: 0 }) }
    }
    return stream(session, formatted, format, gate.kind, marker, q.signal, d, close)
  } catch (e) {
    close()
    throw toSqlError(e)
  }
}

/** The gate's verdict on one statement: formatted by the parser (one statement), its tree checked; cached by text. */
async function judge(q: EngineQuery, exec: (sql: string) => Promise<string>, d: RunDeps): Promise<Verdict> {
  // One statement, as the parser sees it; what is checked below is exactly what runs.
  const formatted = (await exec(`SELECT formatQuery(${quoteString(q.sql)})`)).replace(/\n$/, '')
  precheck(formatted)
  const gate = checkStatement(parseAstDump(await exec(`EXPLAIN AST ${formatted}`)), { database: q.database, functions: d.functions, internalTables: q.operator })
  const verdict: Verdict = { formatted, format: formatClause(formatted), kind: gate.kind, useDatabase: gate.useDatabase }
  d.verdicts.set(q.sql, q.database, Boolean(q.operator), verdict)
  return verdict
}

/** The FORMAT clause of a formatted statement (formatQuery puts it on a line of its own, before SETTINGS). */
export const formatClause = (formatted: string) => /\nFORMAT (\w+)(\nSETTINGS [^\n]*)?$/.exec(formatted)?.[1]

function stream(session: Session, sql: string, format: string, kind: string, marker: string, signal: AbortSignal | undefined, d: RunDeps, close: () => void): EngineResult {
  const started = process.hrtime.bigint()
  let progress: Progress = { read_rows: 0, read_bytes: 0, total_rows_to_read: 0, elapsed_ns: 0 }
  let resultRows = 0
  let resultBytes = 0
  let done = false
  const poll = setInterval(() => void d.sample(marker).then((p) => { if (p && !done) progress = p }), d.progressIntervalMs)
  const onAbort = () => void d.cancel(marker)
  signal?.addEventListener('abort', onAbort, { once: true })
  const finish = () => {
    done = true
    clearInterval(poll)
    signal?.removeEventListener('abort', onAbort)
    close()
  }
  async function* chunks() {
    try {
      if (signal?.aborted) throw sqlError('QUERY_WAS_CANCELLED', 'Query was cancelled: the client went away')
      if (!streamable.has(kind)) {
        // chDB streams SELECTs only; SHOW, DESCRIBE, EXISTS and EXPLAIN answers are small.
        const result = await session.queryAsync(sql, { format })
        resultRows = result.rowsRead
        resultBytes = result.bytes().byteLength
        yield result.bytes() as Uint8Array
        return
      }
      for await (const chunk of session.queryStream(sql, { format })) {
        resultRows += chunk.numRows
        resultBytes += chunk.numBytes
        yield chunk.raw() as Uint8Array
      }
    } catch (e) {
      throw toSqlError(e)
    } finally {
      // A consumer that stops early (client gone) must not leave the query running.
      if (!done && signal?.aborted) void d.cancel(marker)
      finish()
    }
  }
  return {
    format,
    kind,
    chunks: chunks(),
    stats: () => ({
      result_rows: resultRows,
      result_bytes: resultBytes,
      ...progress,
      read_rows: Math.max(progress.read_rows, 0),
      elapsed_ns: Number(process.hrtime.bigint() - started),
    }),
  }
}

const streamable = new Set(['SelectWithUnionQuery', 'SelectQuery', 'SelectIntersectExceptQuery'])

const backquote = (id: string) => `\`${id.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``
