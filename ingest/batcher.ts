import type { Context } from '@opentelemetry/api'
import { AppError, isAppError } from '../core/errors.ts'
import { activeContext, linkTo, withSpan } from '../core/tracing.ts'

export interface BatcherOptions {
  /** Fixed wait (ms) before a batch is written; 0 = write in slots (`slotMs`). */
  flushMs: number
  /**
   * With `flushMs` 0: the current slot (ms). A batch is written so that it is stored by the next
   * multiple of the slot on the wall clock (the live scheduler ticks on multiples of LIVE_TICK_MS),
   * starting that long before it as its recent writes took. Read per batch: it may follow whether
   * anyone watches (api/livehouse.ts). Default 250.
   */
  slotMs?: () => number
  /** Rows worth writing at once, without waiting for the slot (high rates fill by size); default batchRows. */
  fillRows?: number
  /** Rows per write at most (the sink splits a larger batch). */
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

/** The rows of one add() call (one request), written together; `key` marks an idempotent request's rows. */
export interface Part {
  rows: object[]
  key?: string
}

/** A row the engine refused: its index within its part, and why (the other rows are stored). */
export interface Refusal {
  index: number
  code: string
  message: string
}

/**
 * Writes the parts of one batch on `lane` and answers the refused rows of each part (usually
 * none); throws when nothing could be stored. How rows become INSERTs or Kafka messages is
 * the sink's business (clickhouse-writer.ts, kafka-sink.ts).
 */
export type BatchWrite = (parts: Part[], lane: number) => Promise<Refusal[][]>

interface Pending {
  parts: Part[]
  rows: number
  /** ctx: the trace context of the add() call, so the write joins the requests' traces. */
  waiters: { resolve: (refused: Refusal[]) => void; reject: (e: unknown) => void; ctx: Context }[]
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

/** Slot used when none is given: the default live tick. */
const defaultSlotMs = 250

/**
 * Ms from `nowMs` until a write taking `leadMs` should start to be stored by a multiple of `slotMs`:
 * the first such boundary that can still be met.
 */
export function msToSlot(nowMs: number, slotMs: number, leadMs: number): number {
  const lead = Math.min(Math.max(0, leadMs), slotMs / 2)
  return Math.ceil((nowMs + lead) / slotMs) * slotMs - lead - nowMs
}

/**
 * Collects rows for one destination and writes them in batches, one write per free lane of its
 * pool. When: at `fillRows` pending (high rates fill by size), else after `flushMs`, or with
 * `flushMs` 0 in time for the next slot boundary (low rates: one write per slot, aligned with the
 * live tick; each INSERT costs its tables a part each, whatever its size, so fewer is cheaper).
 * `add` resolves only once `write` has stored its rows (with the rows the engine refused,
 * if any), so an accepted event is durable. Past `maxPendingRows` waiting, `add` fails with
 * 503 instead of queueing without bound.
 */
export function createBatcher(write: BatchWrite, options: BatcherOptions) {
  const empty = (): Pending => ({ parts: [], rows: 0, waiters: [] })
  let pending = empty()
  let queuedRows = 0
  let timer: NodeJS.Timeout | undefined
  const lanes = options.lanes ?? createLanePool(1)
  const fillRows = Math.min(options.fillRows ?? options.batchRows, options.batchRows)
  /** Recent write duration (ms, moving average): how early before a slot boundary to start. */
  let writeMs = 0
  /** drain() callers, resolved once nothing is queued. */
  const drainers: (() => void)[] = []

  const delayMs = () => (options.flushMs > 0 ? options.flushMs : msToSlot(Date.now(), options.slotMs?.() ?? defaultSlotMs, writeMs))
  const schedule = () => {
    if (!timer) timer = setTimeout(flush, delayMs())
  }

  function flush() {
    clearTimeout(timer)
    timer = undefined
    if (pending.rows === 0) return
    const lane = lanes.acquire(flush)
    if (lane === undefined) return
    const batch = pending
    pending = empty()
    void traced(batch, lane)
      .then((refused) => batch.waiters.forEach((w, i) => w.resolve(refused[i] ?? [])))
      .catch((cause) => {
        const error = isAppError(cause)
          ? cause
          : new AppError(503, 'STORAGE_UNAVAILABLE', 'the batch could not be stored; retry', { cause, retryAfterS: 1 })
        batch.waiters.forEach((w) => w.reject(error))
      })
      .finally(() => {
        queuedRows -= batch.rows
        lanes.release(lane)
        if (pending.rows >= fillRows || (drainers.length > 0 && pending.rows > 0)) flush()
        else if (pending.rows > 0) schedule()
        if (queuedRows === 0) for (const resolve of drainers.splice(0)) resolve()
      })
  }

  /** The batch's span is a child of its first request's span and links to the others. */
  function traced(batch: Pending, lane: number): Promise<Refusal[][]> {
    const [first, ...rest] = batch.waiters
    const links = rest.slice(0, 64).flatMap((w) => linkTo(w.ctx) ?? [])
    return withSpan('ingest.batch', { parent: first?.ctx, links, attributes: { 'livehouse.rows': batch.rows, 'livehouse.requests': batch.waiters.length } }, () => observed(batch, lane))
  }

  async function observed(batch: Pending, lane: number): Promise<Refusal[][]> {
    const attributes = options.span?.attributes ?? {}
    const started = performance.now()
    let ok = false
    try {
      const refused = await withSpan(options.span?.name ?? 'batch.write', { attributes: { ...attributes, 'livehouse.rows': batch.rows } }, () => write(batch.parts, lane))
      ok = true
      return refused
    } finally {
      const ms = performance.now() - started
      writeMs = writeMs === 0 ? ms : 0.8 * writeMs + 0.2 * ms
      options.onWrite?.({ attributes, rows: batch.rows, seconds: ms / 1000, ok })
    }
  }

  return {
    /** Queues one request's rows; resolves with the rows the engine refused (usually none) once the rest are stored. */
    add(rows: object[], key?: string): Promise<Refusal[]> {
      if (rows.length === 0) return Promise.resolve([])
      if (queuedRows + rows.length > options.maxPendingRows) {
        return Promise.reject(new AppError(503, 'INGEST_BACKPRESSURE', 'ingestion is saturated; retry shortly', { retryAfterS: 1 }))
      }
      queuedRows += rows.length
      pending.parts.push(key === undefined ? { rows } : { rows, key })
      pending.rows += rows.length
      const ctx = activeContext()
      const done = new Promise<Refusal[]>((resolve, reject) => pending.waiters.push({ resolve, reject, ctx }))
      if (pending.rows >= fillRows) flush()
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
