import { AppError, isAppError } from '../api/errors.ts'

export interface BatcherOptions {
  flushMs: number
  batchRows: number
  maxPendingRows: number
}

interface Pending {
  rows: object[]
  waiters: { resolve: () => void; reject: (e: unknown) => void }[]
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
    inFlight = writeInChunks(batch.rows)
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

  async function writeInChunks(rows: object[]) {
    for (let i = 0; i < rows.length; i += options.batchRows) await write(rows.slice(i, i + options.batchRows))
  }

  return {
    add(rows: object[]): Promise<void> {
      if (rows.length === 0) return Promise.resolve()
      if (queuedRows + rows.length > options.maxPendingRows) {
        return Promise.reject(new AppError(503, 'INGEST_BACKPRESSURE', 'ingestion is saturated; retry shortly', { retryAfterS: 1 }))
      }
      queuedRows += rows.length
      for (const r of rows) pending.rows.push(r)
      const done = new Promise<void>((resolve, reject) => pending.waiters.push({ resolve, reject }))
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
