import type { Context } from '@opentelemetry/api'
import { AppError, isAppError } from '../core/errors.ts'
import { activeContext, linkTo, withSpan } from '../core/tracing.ts'

export interface BatcherOptions {
  flushMs: number
  batchRows: number
  maxPendingRows: number
  /** Names each write's span (e.g. clickhouse.insert) and labels its metric (sink, stream). */
  span?: { name: string; attributes: Record<string, string> }
  /**
   * The lanes (connections) writes run on, `write` receives the lane's index; batchers given the
   * same pool share its lanes, so a write never queues behind another batcher's on one connection.
   * Default: a pool of one lane of its own (one write at a time).
   */
  lanes?: LanePool
  /** Called after every write (one INSERT or Kafka send) with its size, duration and outcome. */
  onWrite?: (w: { attributes: Record<string, string>; rows: number; seconds: number; ok: boolean }) => void
}

interface Pending {
  rows: object[]
  /** ctx: the trace context of the add() call, so the write joins the requests' traces. */
  waiters: { resolve: () => void; reject: (e: unknown) => void; ctx: Context }[]
}

export interface LanePool {
  /** A free lane, or undefined after queuing `onFree` to be called (once) when one is released. */
  acquire(onFree: () => void): number | undefined
  release(lane: number): void
}

/** `count` lanes shared by whoever holds the pool; a released lane goes to the longest waiter. */
export function createLanePool(count: number): LanePool {
  const idle = Array.from({ length: count }, (_, i) => i).reverse()
  const waiting: (() => void)[] = []
  return {
    acquire(onFree) {
      if (idle.length > 0) return idle.pop()
      if (!waiting.includes(onFree)) waiting.push(onFree)
      return undefined
    },
    release(lane) {
      idle.push(lane)
      // A woken waiter with nothing left to write leaves the lane to the next one.
      while (idle.length > 0 && waiting.length > 0) waiting.shift()!()
    },
  }
}

/**
 * Collects rows for one destination and writes them in batches: a flush happens after
 * `flushMs` or at `batchRows`, whichever comes first, one write per free lane of its pool.
 * `add` resolves only once `write` has stored its rows, so an accepted event is durable.
 * Past `maxPendingRows` waiting, `add` fails with 503 instead of queueing without bound.
 */
export function createBatcher(write: (rows: object[], lane: number) => Promise<void>, options: BatcherOptions) {
  let pending: Pending = { rows: [], waiters: [] }
  let queuedRows = 0
  let timer: NodeJS.Timeout | undefined
  const lanes = options.lanes ?? createLanePool(1)
  /** drain() callers, resolved once nothing is queued. */
  const drainers: (() => void)[] = []

  const schedule = () => {
    if (!timer) timer = setTimeout(flush, options.flushMs)
  }

  function flush() {
    clearTimeout(timer)
    timer = undefined
    if (pending.rows.length === 0) return
    const lane = lanes.acquire(flush)
    if (lane === undefined) return
    const batch = pending
    pending = { rows: [], waiters: [] }
    void traced(batch, lane)
      .then(() => batch.waiters.forEach((w) => w.resolve()))
      .catch((cause) => {
        const error = isAppError(cause)
          ? cause
          : new AppError(503, 'STORAGE_UNAVAILABLE', 'the batch could not be stored; retry', { cause, retryAfterS: 1 })
        batch.waiters.forEach((w) => w.reject(error))
      })
      .finally(() => {
        queuedRows -= batch.rows.length
        lanes.release(lane)
        if (pending.rows.length >= options.batchRows || (drainers.length > 0 && pending.rows.length > 0)) flush()
        else if (pending.rows.length > 0) schedule()
        if (queuedRows === 0) for (const resolve of drainers.splice(0)) resolve()
      })
  }

  /** The batch's span is a child of its first request's span and links to the others. */
  function traced(batch: Pending, lane: number): Promise<void> {
    const [first, ...rest] = batch.waiters
    const links = rest.slice(0, 64).flatMap((w) => linkTo(w.ctx) ?? [])
    return withSpan('ingest.batch', { parent: first?.ctx, links, attributes: { 'livehouse.rows': batch.rows.length, 'livehouse.requests': batch.waiters.length } }, () => writeInChunks(batch.rows, lane))
  }

  async function writeInChunks(rows: object[], lane: number) {
    if (rows.length <= options.batchRows) return observed(rows, lane) // the usual case: no copy
    for (let i = 0; i < rows.length; i += options.batchRows) await observed(rows.slice(i, i + options.batchRows), lane)
  }

  async function observed(rows: object[], lane: number) {
    const attributes = options.span?.attributes ?? {}
    const started = performance.now()
    let ok = false
    try {
      await withSpan(options.span?.name ?? 'batch.write', { attributes: { ...attributes, 'livehouse.rows': rows.length } }, () => write(rows, lane))
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
    /** Flushes what is queued without waiting for the timer and resolves once all of it is written (or failed). */
    drain(): Promise<void> {
      if (queuedRows === 0) return Promise.resolve()
      const drained = new Promise<void>((resolve) => drainers.push(resolve))
      flush()
      return drained
    },
  }
}

export type Batcher = ReturnType<typeof createBatcher>
