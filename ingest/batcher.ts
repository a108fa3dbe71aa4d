import type { Context } from '@opentelemetry/api'
import { AppError, isAppError } from '../api/errors.ts'
import { activeContext, linkTo, withSpan } from '../api/observability/tracing.ts'

export interface BatcherOptions {
  flushMs: number
  batchRows: number
  maxPendingRows: number
  /** Names each write's span (e.g. clickhouse.insert) and labels its metric (sink, stream). */
  span?: { name: string; attributes: Record<string, string> }
  /** Called after every write (one INSERT or Kafka send) with its size, duration and outcome. */
  onWrite?: (w: { attributes: Record<string, string>; rows: number; seconds: number; ok: boolean }) => void
}

interface Pending {
  rows: object[]
  /** ctx: the trace context of the add() call, so the write joins the requests' traces. */
  waiters: { resolve: () => void; reject: (e: unknown) => void; ctx: Context }[]
}

/**
 * Collects rows for one destination and writes them in batches: a flush happens after
 * `flushMs` or at `batchRows`, whichever comes first, one write at a time.
 * `add` resolves only once `write` has stored its rows, so an accepted event is durable.
 * Past `maxPendingRows` waiting, `add` fails with 503 instead of queueing without bound.
 */
export function createBatcher(write: (rows: object[]) => Promise<void>, options: BatcherOptions) {
  let pending: Pending = { rows: [], waiters: [] }
  let queuedRows = 0
  let timer: NodeJS.Timeout | undefined
  let inFlight: Promise<void> = Promise.resolve()
  let flushing = false

  const schedule = () => {
    if (!timer) timer = setTimeout(flush, options.flushMs)
  }

  function flush() {
    clearTimeout(timer)
    timer = undefined
    if (flushing || pending.rows.length === 0) return
    flushing = true
    const batch = pending
    pending = { rows: [], waiters: [] }
    inFlight = traced(batch)
      .then(() => batch.waiters.forEach((w) => w.resolve()))
      .catch((cause) => {
        const error = isAppError(cause)
          ? cause
          : new AppError(503, 'STORAGE_UNAVAILABLE', 'the batch could not be stored; retry', { cause, retryAfterS: 1 })
        batch.waiters.forEach((w) => w.reject(error))
      })
      .finally(() => {
        queuedRows -= batch.rows.length
        flushing = false
        if (pending.rows.length >= options.batchRows) flush()
        else if (pending.rows.length > 0) schedule()
      })
  }

  /** The batch's span is a child of its first request's span and links to the others. */
  function traced(batch: Pending): Promise<void> {
    const [first, ...rest] = batch.waiters
    const links = rest.slice(0, 64).flatMap((w) => linkTo(w.ctx) ?? [])
    return withSpan('ingest.batch', { parent: first?.ctx, links, attributes: { 'livehouse.rows': batch.rows.length, 'livehouse.requests': batch.waiters.length } }, () => writeInChunks(batch.rows))
  }

  async function writeInChunks(rows: object[]) {
    for (let i = 0; i < rows.length; i += options.batchRows) await observed(rows.slice(i, i + options.batchRows))
  }

  async function observed(rows: object[]) {
    const attributes = options.span?.attributes ?? {}
    const started = performance.now()
    let ok = false
    try {
      await withSpan(options.span?.name ?? 'batch.write', { attributes: { ...attributes, 'livehouse.rows': rows.length } }, () => write(rows))
      ok = true
    } finally {
      options.onWrite?.({ attributes, rows: rows.length, seconds: (performance.now() - started) / 1000, ok })
    }
  }

  return {
    add(rows: object[]): Promise<void> {
      if (rows.length === 0) return Promise.resolve()
      if (queuedRows + rows.length > options.maxPendingRows) {
        return Promise.reject(new AppError(503, 'INGEST_BACKPRESSURE', 'ingestion is saturated; retry shortly', { retryAfterS: 1 }))
      }
      queuedRows += rows.length
      for (const r of rows) pending.rows.push(r)
      const ctx = activeContext()
      const done = new Promise<void>((resolve, reject) => pending.waiters.push({ resolve, reject, ctx }))
      if (pending.rows.length >= options.batchRows) flush()
      else schedule()
      return done
    },
    get pendingRows() {
      return queuedRows
    },
    /** Flushes what is queued and waits for it. */
    async drain(): Promise<void> {
      while (queuedRows > 0) {
        flush()
        await inFlight.catch(() => {})
        if (flushing) await new Promise((r) => setTimeout(r, 1))
      }
    },
  }
}

export type Batcher = ReturnType<typeof createBatcher>
