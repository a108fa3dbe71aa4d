// The MessagePack codec of the live protocol: frames to bytes and back, and the one byte
// patch the replicas need (withCid). Frame layouts are those of frames.ts.
import { Packr, Unpackr } from 'msgpackr'
import { C, S, type ClientFrame, type ErrorReason, type ServerFrame } from './frames.ts'

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

/**
 * A DELTA frame with `cid` in place of its own (cids are per gateway: replicas relay the
 * leader's frames). Only the cid's bytes change, the rest is not re-encoded; a frame that
 * already carries `cid` is returned as is.
 */
export function withCid(frame: Uint8Array, cid: number): Uint8Array {
  // [17, cid, …]: fixarray header (8 items), positive fixint 17, then cid as a MessagePack integer.
  if (frame[0] !== 0x98 || frame[1] !== S.DELTA) throw new Error('not a DELTA frame')
  const width = intWidth(frame[2])
  const mine = encode(cid)
  if (width === mine.length && mine.every((b, i) => frame[2 + i] === b)) return frame
  const out = new Uint8Array(frame.length - width + mine.length)
  out.set(frame.subarray(0, 2))
  out.set(mine, 2)
  out.set(frame.subarray(2 + width), 2 + mine.length)
  return out
}

function intWidth(first: number): number {
  if (first <= 0x7f) return 1
  const widths: Record<number, number> = { 0xcc: 2, 0xd0: 2, 0xcd: 3, 0xd1: 3, 0xce: 5, 0xd2: 5, 0xcf: 9, 0xd3: 9 }
  const w = widths[first]
  if (!w) throw new Error('cid is not a MessagePack integer')
  return w
}
