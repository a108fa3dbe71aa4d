// The page side of the live data path: one worker per page, stores per subscription.
// Series channels land in SeriesBuffers; table channels (ticker, top products, tape) in
// keyed row maps. Listeners run at most once per animation frame (frame-loop.ts).
import { createSignal, type Accessor } from 'solid-js'
import type { Cell, ChannelMeta } from '../../../api/protocol/index.ts'
import { markDirty } from './frame-loop.ts'
import type { ConnectionState, FromWorker, ToWorker } from './messages.ts'
import { SeriesBuffer } from './ring.ts'

const seriesChannels = new Set(['candles', 'sales', 'funnel'])

export class LiveStore {
  meta?: ChannelMeta
  /**
   * Series channels: one buffer per value of the key columns besides time (sales is keyed
   * by (t, currency): one buffer per currency), under the JSON of those values.
   */
  readonly buffers = new Map<string, SeriesBuffer>()
  readonly rows = new Map<string, Cell[]>()
  /** Server time of the newest change, or the newest row's event time for the tape. */
  newestAt = 0
  readonly version: Accessor<number>
  readonly error: Accessor<string | undefined>
  private readonly setVersion: (v: number) => void
  readonly setError: (e: string | undefined) => void
  private readonly listeners = new Set<() => void>()
  private readonly notify = () => {
    this.setVersion(this.version() + 1)
    for (const l of this.listeners) l()
  }

  constructor(readonly sid: number, readonly channel: string, readonly capacity: number, readonly maxRows: number) {
    const [version, setVersion] = createSignal(0)
    const [error, setError] = createSignal<string>()
    this.version = version
    this.setVersion = setVersion
    this.error = error
    this.setError = setError
  }

  /** The first series buffer: the only one of a channel keyed by time alone. */
  get series(): SeriesBuffer | undefined {
    return this.buffers.values().next().value
  }

  /** The buffer for these values of the non-time key columns (e.g. `['EUR']` for sales). */
  seriesFor(key: Cell[]): SeriesBuffer | undefined {
    return this.buffers.get(JSON.stringify(key))
  }

  /** Redraws the listeners after a change made straight to `series` (history loaded into it). */
  touch() {
    markDirty(this.notify)
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  /** Rows of a table channel, in the gateway's key order. */
  list(): Cell[][] {
    return [...this.rows.values()]
  }

  apply(m: Extract<FromWorker, { t: 'snapshot' | 'delta' }>) {
    if (m.t === 'snapshot') {
      this.meta = m.meta
      this.setError(undefined)
      if (seriesChannels.has(this.channel)) {
        if (m.since === null) this.buffers.clear()
        else for (const b of this.buffers.values()) b.truncateFrom(m.since)
        this.upsertSeries(m.cols)
        for (const b of this.buffers.values()) this.newestAt = Math.max(this.newestAt, b.last(m.meta.time) || 0)
      } else {
        if (m.since === null) this.rows.clear()
        this.putRows(m.cols)
      }
    } else {
      if (!this.meta) return
      if (seriesChannels.has(this.channel)) {
        // No removals here: the gateway sends them for table channels only (buckets age out).
        if (m.upsert) this.upsertSeries(m.upsert)
        this.newestAt = Math.max(this.newestAt, m.sentAt)
      } else {
        if (m.upsert) this.putRows(m.upsert)
        if (m.remove) for (const k of m.remove) this.rows.delete(JSON.stringify(k))
        if (this.meta.time < 0) this.newestAt = m.sentAt
      }
    }
    markDirty(this.notify)
  }

  /** Routes each row to the buffer of its non-time key values. */
  private upsertSeries(cols: Cell[][]) {
    const meta = this.meta!
    const groupCols = meta.key.filter((i) => i !== meta.time)
    const bufferFor = (key: string) => {
      let b = this.buffers.get(key)
      if (!b) this.buffers.set(key, (b = new SeriesBuffer(meta.columns.length, this.capacity, meta.time)))
      return b
    }
    const n = cols[meta.time]?.length ?? 0
    const keys = Array.from({ length: n }, (_, r) => JSON.stringify(groupCols.map((i) => cols[i][r])))
    const distinct = new Set(keys)
    if (distinct.size <= 1) return void bufferFor(keys[0] ?? '[]').upsert(cols) // the usual case: no copy
    for (const key of distinct) {
      const rows = keys.flatMap((k, r) => (k === key ? [r] : []))
      bufferFor(key).upsert(cols.map((c) => rows.map((r) => c[r])))
    }
  }

  private putRows(cols: Cell[][]) {
    const meta = this.meta!
    const n = cols[0]?.length ?? 0
    for (let r = 0; r < n; r++) {
      const row = cols.map((c) => c[r])
      const key = JSON.stringify(meta.key.map((i) => row[i]))
      this.rows.set(key, row) // an existing key keeps its place: tables do not reshuffle on update
      if (meta.time >= 0) this.newestAt = Math.max(this.newestAt, row[meta.time] as number)
    }
    // Tape: keep the newest rows only (insertion order is arrival order).
    while (this.rows.size > this.maxRows) this.rows.delete(this.rows.keys().next().value!)
  }
}

export interface LiveClient {
  state: Accessor<ConnectionState>
  retryInMs: Accessor<number>
  subscribe(channel: string, params: Record<string, unknown>, opts?: { capacity?: number; maxRows?: number }): LiveStore
  unsubscribe(store: LiveStore): void
  /** Closes the socket for good and ends the worker (sign-out, token change). */
  close(): void
}

/** `worker` is the live worker (ui/src/live/worker.ts); the UI benchmark passes its own, which wraps it. */
export function createLiveClient(url: string, token: string, worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })): LiveClient {
  const post = (m: ToWorker) => worker.postMessage(m)
  const stores = new Map<number, LiveStore>()
  const [state, setState] = createSignal<ConnectionState>('connecting')
  const [retryInMs, setRetryInMs] = createSignal(0)
  let nextSid = 1

  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data
    if (m.t === 'snapshot' || m.t === 'delta') stores.get(m.sid)?.apply(m)
    else if (m.t === 'state') (setState(m.state), setRetryInMs(m.retryInMs))
    else if (m.t === 'error' && m.sid !== null) stores.get(m.sid)?.setError(`${m.reason}: ${m.message}`)
  }
  if (token) post({ t: 'connect', url, token })

  return {
    state,
    retryInMs,
    subscribe(channel, params, opts = {}) {
      const store = new LiveStore(nextSid++, channel, opts.capacity ?? 600, opts.maxRows ?? 500)
      stores.set(store.sid, store)
      post({ t: 'sub', sid: store.sid, channel, params })
      return store
    },
    unsubscribe(store) {
      stores.delete(store.sid)
      post({ t: 'unsub', sid: store.sid })
    },
    close: () => {
      post({ t: 'close' })
      stores.clear()
      setState('idle')
    },
  }
}
