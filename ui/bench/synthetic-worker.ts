/// <reference lib="webworker" />
// The UI benchmark's live worker (bench/ui): the production worker (ui/src/live/worker.ts)
// with a synthetic source instead of a socket. Each subscription gets candles encoded as
// protocol SNAPSHOT/DELTA frames and fed through the production decode path (`onBytes`),
// so the page measures what a socket would give it. Not part of the production build.
import { encodeServerFrame, S, type Cell } from '../../api/protocol/index.ts'
import { handle, onBytes } from '../src/live/worker.ts'
import type { ToWorker } from '../src/live/messages.ts'

declare const self: DedicatedWorkerGlobalScope

/** What the bench page sends besides the page's usual messages. */
export type BenchToWorker = ToWorker | { t: 'rate'; pointsPerSecond: number }
/** What this worker sends besides the usual messages: decoded frames per second. */
export type BenchFromWorker = { t: 'bench-stats'; frames: number }

const tickMs = 16
const columns = ['t', 'open', 'high', 'low', 'close', 'volume', 'trades', 'vwap']
const sids: number[] = []
const price = new Map<number, number>()
let pointsPerSecond = 0
let t = Date.now() - 3_600_000
let seq = 0
let frames = 0
let timer: ReturnType<typeof setInterval> | undefined

const cidOf = (sid: number) => 100_000 + sid
const feed = (bytes: Uint8Array) => (frames++, onBytes(bytes))

function add(sid: number) {
  sids.push(sid)
  price.set(sid, 100)
  const meta = { columns, key: [0], time: 0 }
  feed(encodeServerFrame({ type: S.SNAPSHOT, sid, cid: cidOf(sid), seq, meta, base: t, cols: columns.map(() => []), since: null }))
}

/** One DELTA per subscription: `perTick` new one-second candles of a random walk. */
function tick() {
  if (!sids.length || pointsPerSecond <= 0) return
  const perTick = Math.max(1, Math.round((pointsPerSecond * tickMs) / 1000 / sids.length))
  seq++
  for (const sid of sids) {
    const cols: Cell[][] = columns.map(() => [])
    let p = price.get(sid)!
    for (let i = 0; i < perTick; i++) {
      const o = p
      p = Math.max(1, p + (Math.random() - 0.5))
      const row = [i * 1000, o, Math.max(o, p) + Math.random() / 4, Math.min(o, p) - Math.random() / 4, p, Math.random() * 10, 1, p]
      row.forEach((v, c) => cols[c].push(v))
    }
    price.set(sid, p)
    feed(encodeServerFrame({ type: S.DELTA, cid: cidOf(sid), seq, base: t, sentOffset: 0, append: cols, replace: null, remove: null }))
  }
  t += perTick * 1000
}

self.onmessage = (e: MessageEvent<BenchToWorker>) => {
  const m = e.data
  if (m.t === 'rate') {
    pointsPerSecond = m.pointsPerSecond
    clearInterval(timer)
    timer = setInterval(tick, tickMs)
    return
  }
  handle(m) // registers subscriptions as usual; with no socket, nothing is sent
  if (m.t === 'sub') add(m.sid)
}

setInterval(() => {
  self.postMessage({ t: 'bench-stats', frames } satisfies BenchFromWorker)
  frames = 0
}, 1000)
