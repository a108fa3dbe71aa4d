// Rows as the gateway diffs them, and the frames that carry them: column-major blocks with
// the time column offset from a base (docs/protocol.md, Frames), built here and nowhere else.
import { encodeServerFrame } from './codec.ts'
import {
  ErrorCodes, PROTOCOL_VERSION, S, temporaryErrors,
  type Cell, type ChannelMeta, type Columns, type ErrorReason, type Limits, type ServerFrame,
} from './frames.ts'

/** What changed in a channel since the previous sequence number. */
export interface Change {
  /** Rows whose key the client does not hold (series: newer than every bucket it holds). */
  append: Cell[][]
  /** Rows whose key the client holds (series: or a new key in a bucket it holds), now different. */
  replace: Cell[][]
  /** Keys (the `meta.key` cells) of rows the client drops. */
  remove: Cell[][]
}

/** A columnar block with its time column offset from `base`. */
export interface Block {
  base: number
  cols: Columns
}

/** The smallest time over `groups` of rows, or `fallback` when there is no time column or row. */
export function baseOf(groups: Cell[][][], time: number, fallback: number): number {
  if (time < 0) return fallback
  let base = Infinity
  for (const rows of groups) for (const r of rows) base = Math.min(base, r[time] as number)
  return base === Infinity ? fallback : base
}

/** Rows → columns, with the time column as ms offsets from `base`. */
export function toBlock(rows: Cell[][], time: number, base: number): Block {
  const width = rows[0]?.length ?? 0
  const cols: Columns = Array.from({ length: width }, () => new Array(rows.length))
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]
    for (let c = 0; c < width; c++) cols[c][r] = c === time ? (row[c] as number) - base : row[c]
  }
  return { base, cols }
}

/** Columns back into row arrays with absolute times; what a client keeps. */
export function toRows(cols: Columns, base: number, time: number): Cell[][] {
  const n = cols[0]?.length ?? 0
  const rows: Cell[][] = []
  for (let r = 0; r < n; r++) rows.push(cols.map((c, i) => (i === time ? base + (c[r] as number) : c[r])))
  return rows
}

/** The DELTA frame of change `seq` of live query `cid`, encoded once for every watcher. */
export function deltaFrame(cid: number, seq: number, change: Change, time: number, now: number): Uint8Array {
  const base = baseOf([change.append, change.replace], time, now)
  const block = (rows: Cell[][]) => (rows.length ? toBlock(rows, time, base).cols : null)
  return encodeServerFrame({
    type: S.DELTA, cid, seq, base, sentOffset: now - base,
    append: block(change.append), replace: block(change.replace), remove: change.remove.length ? change.remove : null,
  })
}

/** A published DELTA as the change a mirror (or a server-side watcher) applies. */
export function changeOf(f: Pick<Extract<ServerFrame, { type: typeof S.DELTA }>, 'base' | 'append' | 'replace' | 'remove'>, meta: ChannelMeta): Change {
  return {
    append: f.append ? toRows(f.append, f.base, meta.time) : [],
    replace: f.replace ? toRows(f.replace, f.base, meta.time) : [],
    remove: f.remove ?? [],
  }
}

export const snapshotFrame = (sid: number, cid: number, seq: number, meta: ChannelMeta, block: Block, since: number | null) =>
  encodeServerFrame({ type: S.SNAPSHOT, sid, cid, seq, meta, base: block.base, cols: block.cols, since })

export const helloFrame = (limits: Limits, sub: string) => encodeServerFrame({ type: S.HELLO, version: PROTOCOL_VERSION, limits, sub })

export const pongFrame = (id: number, serverMs: number) => encodeServerFrame({ type: S.PONG, id, serverMs })

export const unsubscribedFrame = (sid: number) => encodeServerFrame({ type: S.UNSUBSCRIBED, sid })

/** An ERROR frame; `temporary` follows the reason (frames.ts temporaryErrors). */
export const errorFrame = (reason: ErrorReason, message: string, sid: number | null = null) =>
  encodeServerFrame({ type: S.ERROR, sid, code: ErrorCodes[reason], reason, message, temporary: temporaryErrors.has(reason) })
