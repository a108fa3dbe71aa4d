// The live WebSocket protocol (docs/protocol.md): frame types, error codes and the
// MessagePack codec. Shared by the gateway and the browser, so it imports no server code.
import { Packr, Unpackr } from 'msgpackr'

export const PROTOCOL_VERSION = 1
/** Sec-WebSocket-Protocol value; list it first when the token rides in that header too. */
export const SUBPROTOCOL = 'livehouse.v1'
/** Prefix of the Sec-WebSocket-Protocol entry that carries the JWT for browsers. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'bearer.'

/** Client → server frame types. */
export const C = { SUBSCRIBE: 1, UNSUBSCRIBE: 2, RESYNC: 3, PING: 4 } as const
/** Server → client frame types. */
export const S = { HELLO: 0, SNAPSHOT: 16, DELTA: 17, UNSUBSCRIBED: 19, PONG: 20, ERROR: 21 } as const

/** Numbered error codes; a number is never reused for another meaning. */
export const ErrorCodes = {
  BAD_FRAME: 4000,
  UNKNOWN_OP: 4001,
  BAD_ARGUMENT: 4002,
  FRAME_TOO_LARGE: 4003,
  RATE_LIMITED: 4004,
  TOO_MANY_SUBSCRIPTIONS: 4005,
  UNKNOWN_CHANNEL: 4006,
  FORBIDDEN: 4007,
  ALREADY_SUBSCRIBED: 4008,
  NOT_SUBSCRIBED: 4009,
  UNAVAILABLE: 4010,
  INTERNAL: 4011,
} as const
export type ErrorReason = keyof typeof ErrorCodes

/** WebSocket close codes the gateway uses. */
export const CloseCodes = { ABUSE: 4400, TOO_SLOW: 4408, SHUTDOWN: 1001, TOO_BIG: 1009 } as const

export interface Limits {
  maxSubscriptions: number
  maxFrameBytes: number
  maxFramesPerSecond: number
  tickMs: number
  snapshotBuckets: number
}

export type Cell = number | string | null
/** Column-major rows: `cols[c][r]`. The time column holds ms offsets from the frame's `base`. */
export type Columns = Cell[][]

export interface ChannelMeta {
  columns: string[]
  /** Indexes of the columns that identify a row. */
  key: number[]
  /** Index of the bucket time column (epoch ms before offsetting), or -1. */
  time: number
}

export type ClientFrame =
  | { op: typeof C.SUBSCRIBE; sid: number; channel: string; params: Record<string, unknown>; resume?: { seq: number; t: number } }
  | { op: typeof C.UNSUBSCRIBE; sid: number }
  | { op: typeof C.RESYNC; sid: number }
  | { op: typeof C.PING; id: number }

export type ServerFrame =
  | { type: typeof S.HELLO; version: number; limits: Limits; sub: string }
  | { type: typeof S.SNAPSHOT; sid: number; cid: number; seq: number; meta: ChannelMeta; base: number; cols: Columns; since: number | null }
  | { type: typeof S.DELTA; cid: number; seq: number; base: number; sentOffset: number; append: Columns | null; replace: Columns | null; remove: Cell[][] | null }
  | { type: typeof S.UNSUBSCRIBED; sid: number }
  | { type: typeof S.PONG; id: number; serverMs: number }
  | { type: typeof S.ERROR; sid: number | null; code: number; reason: ErrorReason; message: string; temporary: boolean }

// Plain MessagePack only: no records, no structured clone, 64-bit integers as numbers.
const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false, largeBigIntToFloat: true })
const unpackr = new Unpackr({ useRecords: false, moreTypes: false, structuredClone: false, mapsAsObjects: true, int64AsType: 'number' })

export function encode(value: unknown): Uint8Array {
  return packr.pack(value)
}

/** Throws on malformed MessagePack. */
export function decode(bytes: Uint8Array): unknown {
  return unpackr.unpack(bytes)
}

export function encodeServerFrame(f: ServerFrame): Uint8Array {
  switch (f.type) {
    case S.HELLO: return encode([f.type, f.version, f.limits, f.sub])
    case S.SNAPSHOT: return encode([f.type, f.sid, f.cid, f.seq, f.meta, f.base, f.cols, f.since])
    case S.DELTA: return encode([f.type, f.cid, f.seq, f.base, f.sentOffset, f.append, f.replace, f.remove])
    case S.UNSUBSCRIBED: return encode([f.type, f.sid])
    case S.PONG: return encode([f.type, f.id, f.serverMs])
    case S.ERROR: return encode([f.type, f.sid, f.code, f.reason, f.message, f.temporary])
  }
}

export function decodeServerFrame(bytes: Uint8Array): ServerFrame {
  const a = decode(bytes) as any[]
  switch (a[0]) {
    case S.HELLO: return { type: S.HELLO, version: a[1], limits: a[2], sub: a[3] }
    case S.SNAPSHOT: return { type: S.SNAPSHOT, sid: a[1], cid: a[2], seq: a[3], meta: a[4], base: a[5], cols: a[6], since: a[7] }
    case S.DELTA: return { type: S.DELTA, cid: a[1], seq: a[2], base: a[3], sentOffset: a[4], append: a[5], replace: a[6], remove: a[7] }
    case S.UNSUBSCRIBED: return { type: S.UNSUBSCRIBED, sid: a[1] }
    case S.PONG: return { type: S.PONG, id: a[1], serverMs: a[2] }
    case S.ERROR: return { type: S.ERROR, sid: a[1], code: a[2], reason: a[3], message: a[4], temporary: a[5] }
    default: throw new Error(`unknown server frame type ${a?.[0]}`)
  }
}

export function encodeClientFrame(f: ClientFrame): Uint8Array {
  switch (f.op) {
    case C.SUBSCRIBE: return encode([f.op, f.sid, f.channel, f.params, f.resume ? [f.resume.seq, f.resume.t] : null])
    case C.UNSUBSCRIBE: return encode([f.op, f.sid])
    case C.RESYNC: return encode([f.op, f.sid])
    case C.PING: return encode([f.op, f.id])
  }
}

export class ProtocolError extends Error {
  constructor(readonly reason: ErrorReason, message: string, readonly sid: number | null = null) {
    super(message)
  }
}

const isSid = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 0x7fffffff
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)

/** Decodes and shape-checks one client frame; throws ProtocolError on anything else. */
export function decodeClientFrame(bytes: Uint8Array): ClientFrame {
  let a: unknown
  try {
    a = decode(bytes)
  } catch {
    throw new ProtocolError('BAD_FRAME', 'not a MessagePack value')
  }
  if (!Array.isArray(a) || a.length < 2) throw new ProtocolError('BAD_FRAME', 'a frame is an array [op, ...]')
  const [op, id] = a
  if (op === C.PING) {
    if (!Number.isInteger(id)) throw new ProtocolError('BAD_ARGUMENT', 'ping id must be an integer')
    return { op, id }
  }
  if (op !== C.SUBSCRIBE && op !== C.UNSUBSCRIBE && op !== C.RESYNC) throw new ProtocolError('UNKNOWN_OP', 'unknown op')
  if (!isSid(id)) throw new ProtocolError('BAD_ARGUMENT', 'sid must be an integer in 1..2^31-1')
  if (op !== C.SUBSCRIBE) return { op, sid: id }
  const [, , channel, params, resume] = a
  if (typeof channel !== 'string' || channel.length > 64) throw new ProtocolError('BAD_ARGUMENT', 'channel must be a string', id)
  if (params !== undefined && params !== null && !isPlainObject(params)) throw new ProtocolError('BAD_ARGUMENT', 'params must be a map', id)
  let r: { seq: number; t: number } | undefined
  if (resume !== undefined && resume !== null) {
    if (!Array.isArray(resume) || !Number.isSafeInteger(resume[0]) || !Number.isSafeInteger(resume[1]))
      throw new ProtocolError('BAD_ARGUMENT', 'resume must be [seq, t]', id)
    r = { seq: resume[0], t: resume[1] }
  }
  return { op, sid: id, channel, params: (params ?? {}) as Record<string, unknown>, resume: r }
}

/** Turns a columnar block back into row arrays with absolute times; what a client keeps. */
export function toRows(cols: Columns, base: number, time: number): Cell[][] {
  const n = cols[0]?.length ?? 0
  const rows: Cell[][] = []
  for (let r = 0; r < n; r++) rows.push(cols.map((c, i) => (i === time ? base + (c[r] as number) : c[r])))
  return rows
}
