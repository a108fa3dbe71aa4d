// One query at a time for the analyst view: streams rows into a plain array (a version
// signal tells the grid to look again, so 100,000 rows are never copied per batch), keeps
// the elapsed time ticking, and cancels by aborting the request.
import { batch, createSignal, onCleanup } from 'solid-js'
import { SqlError, streamQuery } from './client.ts'
import type { Column, Progress } from './stream.ts'

export type RunStatus = 'idle' | 'running' | 'done' | 'error' | 'cancelled'

export interface RunView {
  status: () => RunStatus
  sql: () => string
  columns: () => Column[]
  rows: () => unknown[][]
  /** Bumped whenever rows are appended. */
  version: () => number
  totals: () => unknown[] | undefined
  /** Wall time seen by the browser, ms; ticks while running. */
  elapsedMs: () => number
  progress: () => Progress | undefined
  truncated: () => boolean
  text: () => string | undefined
  error: () => SqlError | undefined
  queryId: () => string | undefined
  run(sql: string): Promise<void>
  cancel(): void
}

export function createRunner(o: { maxRows: number }): RunView {
  const [status, setStatus] = createSignal<RunStatus>('idle')
  const [sql, setSql] = createSignal('')
  const [columns, setColumns] = createSignal<Column[]>([])
  const [version, setVersion] = createSignal(0)
  const [totals, setTotals] = createSignal<unknown[]>()
  const [elapsedMs, setElapsedMs] = createSignal(0)
  const [progress, setProgress] = createSignal<Progress>()
  const [truncated, setTruncated] = createSignal(false)
  const [text, setText] = createSignal<string>()
  const [error, setError] = createSignal<SqlError>()
  const [queryId, setQueryId] = createSignal<string>()
  let rows: unknown[][] = []
  let controller: AbortController | undefined
  let timer: ReturnType<typeof setInterval> | undefined
  onCleanup(() => (controller?.abort(), clearInterval(timer)))

  const reset = (q: string, id: string) => batch(() => {
    rows = []
    setSql(q), setQueryId(id), setColumns([]), setVersion((v) => v + 1), setTotals(undefined), setProgress(undefined)
    setTruncated(false), setText(undefined), setError(undefined), setElapsedMs(0), setStatus('running')
  })

  async function run(q: string) {
    controller?.abort()
    const mine = (controller = new AbortController())
    const id = crypto.randomUUID()
    reset(q, id)
    const t0 = performance.now()
    clearInterval(timer)
    timer = setInterval(() => setElapsedMs(performance.now() - t0), 100)
    const current = () => controller === mine
    try {
      const outcome = await streamQuery(q, { queryId: id, signal: mine.signal }, {
        onColumns: (c) => current() && setColumns(c),
        onRows(batchRows) {
          if (!current()) return false
          const room = o.maxRows - rows.length
          for (let i = 0; i < Math.min(room, batchRows.length); i++) rows.push(batchRows[i])
          setVersion((v) => v + 1)
          // Exactly full is not truncated yet: only a row beyond the cap proves there are more.
          return batchRows.length <= room
        },
        onProgress: (p) => current() && setProgress(p),
        onTotals: (r) => current() && setTotals(r),
      })
      if (!current()) return
      batch(() => {
        if (!progress() && outcome.summary) setProgress(outcome.summary)
        setTruncated(outcome.truncated), setText(outcome.text), setStatus('done')
      })
    } catch (e) {
      if (!current()) return
      if (mine.signal.aborted) setStatus('cancelled')
      else batch(() => (setError(e instanceof SqlError ? e : new SqlError('NETWORK', `Network error: ${(e as Error).message}`)), setStatus('error')))
    } finally {
      if (current()) {
        clearInterval(timer)
        setElapsedMs(performance.now() - t0)
        controller = undefined
      }
    }
  }

  return {
    status, sql, columns, version, totals, elapsedMs, progress, truncated, text, error, queryId, run,
    rows: () => rows,
    cancel: () => controller?.abort(),
  }
}
