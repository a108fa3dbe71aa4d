// The analyst's requests to `/api/v1/sql`, which forwards them to the read-only ClickHouse
// HTTP interface with the user's Bearer token. Only the interface's own parameters are
// used (`default_format`, `query_id`, `cancel_http_readonly_queries_on_client_close`), so
// the same calls work against the embedded port and a real ClickHouse server.
import { signOut, token } from '../session.ts'
import { createLimiter } from './limiter.ts'
import { createLineSplitter, parseLine, toProgress, type Column, type Progress } from './stream.ts'

export const STREAM_FORMAT = 'JSONCompactEachRowWithProgress'
const CANCEL_ON_CLOSE = 'cancel_http_readonly_queries_on_client_close'

/** A failure as ClickHouse reports it: `CLICKHOUSE_<n>` when the engine gave a code. */
export class SqlError extends Error {
  constructor(readonly code: string, message: string, readonly status = 0) {
    super(message)
  }
}

export interface SqlRequest {
  sql: string
  format: string
  queryId?: string
  signal?: AbortSignal
}

// A server whose profile refuses the cancel-on-close setting gets asked without it from then on.
let askCancelOnClose = true

/**
 * The page's requests in flight, held until their answer is read or cancelled: at most the
 * port's default per-user cap (SQL_MAX_QUERIES_PER_USER, 2), so the schema loading, a query
 * and a download never get one of them refused with 202; a third waits for a slot.
 */
export const MAX_REQUESTS = 2
const requests = createLimiter(MAX_REQUESTS)

/** A refusal for too many simultaneous queries ran nothing: asked again after these pauses. */
const busyRetryMs = [100, 300, 900]

/**
 * POSTs one statement; a non-2xx answer becomes a SqlError carrying ClickHouse's code and text.
 * Only through the limiter (streamQuery, rows, download), which holds the slot until the answer is read.
 */
async function post(r: SqlRequest, attempt = 0): Promise<Response> {
  const qs = new URLSearchParams({ default_format: r.format })
  if (r.queryId) qs.set('query_id', r.queryId)
  if (askCancelOnClose) qs.set(CANCEL_ON_CLOSE, '1')
  const res = await fetch(`/api/v1/sql?${qs}`, {
    method: 'POST',
    body: r.sql,
    signal: r.signal,
    headers: { authorization: `Bearer ${token() ?? ''}`, 'content-type': 'text/plain; charset=utf-8' },
  })
  if (res.ok) return res
  const err = await errorOf(res)
  if (askCancelOnClose && err.message.includes(CANCEL_ON_CLOSE)) {
    askCancelOnClose = false
    return post(r, attempt)
  }
  // Another tool of the same user, or a cancelled query the server is still stopping, holds the slot.
  if (err.code === 'CLICKHOUSE_202' && attempt < busyRetryMs.length) {
    await pause(busyRetryMs[attempt], r.signal)
    return post(r, attempt + 1)
  }
  throw err
}

const pause = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
  const timer = setTimeout(() => (signal?.removeEventListener('abort', stop), resolve()), ms)
  const stop = () => (clearTimeout(timer), reject(signal!.reason))
  if (signal?.aborted) return stop()
  signal?.addEventListener('abort', stop, { once: true })
})

async function errorOf(res: Response): Promise<SqlError> {
  if (res.status === 401) signOut()
  const text = (await res.text()).trim()
  const code = res.headers.get('x-clickhouse-exception-code')
  if (code) return new SqlError(`CLICKHOUSE_${code}`, text, res.status)
  try {
    const body = JSON.parse(text)
    return new SqlError(body.error?.code ?? `HTTP_${res.status}`, body.error?.message ?? text, res.status)
  } catch {
    return new SqlError(`HTTP_${res.status}`, text.slice(0, 2000) || res.statusText, res.status)
  }
}

export interface StreamHandlers {
  onColumns(columns: Column[]): void
  /** Rows in arrival order; returns false once the caller holds as many as it keeps. */
  onRows(rows: unknown[][]): boolean
  onProgress(p: Progress): void
  onTotals?(row: unknown[]): void
}

export interface StreamOutcome {
  /** The query carried its own FORMAT clause: its output as text (capped). */
  text?: string
  /** Reading stopped at the row cap before the end of the result. */
  truncated: boolean
  /** X-ClickHouse-Summary, as sent with the response head. */
  summary?: Progress
  queryId?: string
}

const maxTextBytes = 8 * 1024 * 1024

/**
 * Runs a query and streams its rows to `h`. Stopping early (row cap or abort) closes the
 * response, which is what makes ClickHouse cancel the query (with cancel-on-close).
 */
export function streamQuery(sql: string, o: { queryId: string; signal: AbortSignal }, h: StreamHandlers): Promise<StreamOutcome> {
  return requests.run(() => readStream(sql, o, h), o.signal)
}

async function readStream(sql: string, o: { queryId: string; signal: AbortSignal }, h: StreamHandlers): Promise<StreamOutcome> {
  const res = await post({ sql, format: STREAM_FORMAT, queryId: o.queryId, signal: o.signal })
  const summaryHeader = res.headers.get('x-clickhouse-summary')
  const outcome: StreamOutcome = {
    truncated: false,
    queryId: res.headers.get('x-clickhouse-query-id') ?? o.queryId,
    summary: summaryHeader ? safe(() => toProgress(JSON.parse(summaryHeader))) : undefined,
  }
  const format = res.headers.get('x-clickhouse-format')
  if (format && format !== STREAM_FORMAT) return { ...outcome, text: await readText(res) }
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  let batch: unknown[][] = []
  let error: string | undefined
  const splitter = createLineSplitter((text) => {
    const line = parseLine(text)
    if (!line) return
    if (line.kind === 'row') batch.push(line.row)
    else if (line.kind === 'meta') h.onColumns(line.columns)
    else if (line.kind === 'progress') h.onProgress(line.progress)
    else if (line.kind === 'totals') h.onTotals?.(line.row)
    else if (line.kind === 'exception') error = error ? `${error}\n${line.message}` : line.message
  })
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) {
        splitter.end()
        if (batch.length) h.onRows(flush())
        break
      }
      splitter.push(value)
      if (batch.length && !h.onRows(flush())) {
        // Enough rows: the rest (and the half line at the cut) is left unread.
        outcome.truncated = true
        break
      }
    }
  } finally {
    reader.cancel().catch(() => {})
  }
  if (error) throw new SqlError(codeOf(error), error)
  return outcome

  function flush() {
    const rows = batch
    batch = []
    return rows
  }
}

const codeOf = (message: string) => {
  const m = /Code: (\d+)\./.exec(message)
  return m ? `CLICKHOUSE_${m[1]}` : 'CLICKHOUSE_EXCEPTION'
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f()
  } catch {
    return undefined
  }
}

async function readText(res: Response): Promise<string> {
  const reader = res.body!.getReader()
  const parts: Uint8Array[] = []
  let bytes = 0
  try {
    while (bytes < maxTextBytes) {
      const { done, value } = await reader.read()
      if (done) break
      parts.push(value)
      bytes += value.byteLength
    }
  } finally {
    reader.cancel().catch(() => {})
  }
  const text = new TextDecoder().decode(await new Blob(parts as BlobPart[]).arrayBuffer())
  return bytes >= maxTextBytes ? `${text}\n… (output cut at ${maxTextBytes} bytes)` : text
}

/** Runs a small metadata query and returns its rows (whole answer; used for system tables). */
export function rows(sql: string, signal?: AbortSignal): Promise<unknown[][]> {
  return requests.run(async () => {
    const res = await post({ sql, format: 'JSONCompact', signal })
    return ((await res.json()) as { data: unknown[][] }).data
  }, signal)
}

/** Runs `sql` with `format` (Parquet, CSVWithNames…) and returns the engine's bytes. */
export function download(sql: string, format: string, signal?: AbortSignal): Promise<Blob> {
  return requests.run(async () => {
    const res = await post({ sql, format, signal })
    const answered = res.headers.get('x-clickhouse-format')
    if (answered && answered !== format) {
      await res.body?.cancel()
      throw new SqlError('FORMAT_IN_QUERY', `The query asks for ${answered} itself; remove its FORMAT clause to download ${format}.`)
    }
    const blob = await res.blob()
    if (format === 'Parquet') await checkParquet(blob)
    return blob
  }, signal)
}

/** An engine error after the head is appended to the body: a Parquet file must end with its magic. */
async function checkParquet(blob: Blob) {
  const tail = new TextDecoder().decode(await blob.slice(Math.max(0, blob.size - 4)).arrayBuffer())
  if (tail === 'PAR1') return
  const text = new TextDecoder().decode(await blob.slice(Math.max(0, blob.size - 4000)).arrayBuffer())
  const i = text.lastIndexOf('Code: ')
  const message = i >= 0 ? text.slice(i).trim() : 'The engine stopped before the end of the Parquet file.'
  throw new SqlError(codeOf(message), message)
}
