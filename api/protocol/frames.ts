// The live WebSocket protocol's vocabulary (docs/protocol.md): frame types and their field
// layouts, error and close codes, limits. docs/protocol.md's tables are checked against these
// (api/protocol/docs.test.ts). Shared by the gateway and the browser: no server imports.

export const PROTOCOL_VERSION = 1
/** Sec-WebSocket-Protocol value the server speaks. */
export const SUBPROTOCOL = 'livehouse.v1'
/** Prefix of the Sec-WebSocket-Protocol entry that carries the JWT for browsers. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'bearer.'

/** Client → server frame types. */
export const C = { SUBSCRIBE: 1, UNSUBSCRIBE: 2, RESYNC: 3, PING: 4 } as const
/** Server → client frame types. */
export const S = { HELLO: 0, SNAPSHOT: 16, DELTA: 17, UNSUBSCRIBED: 19, PONG: 20, ERROR: 21 } as const

/** Each frame is the array [type or op, ...these fields in this order]. */
export const clientLayouts = {
  SUBSCRIBE: ['sid', 'channel', 'params', 'resume'],
  UNSUBSCRIBE: ['sid'],
  RESYNC: ['sid'],
  PING: ['id'],
} as const satisfies Record<keyof typeof C, readonly string[]>

export const serverLayouts = {
  HELLO: ['version', 'limits', 'sub'],
  SNAPSHOT: ['sid', 'cid', 'seq', 'meta', 'base', 'cols', 'since'],
  DELTA: ['cid', 'seq', 'base', 'sentOffset', 'append', 'replace', 'remove'],
  UNSUBSCRIBED: ['sid'],
  PONG: ['id', 'serverMs'],
  ERROR: ['sid', 'code', 'reason', 'message', 'temporary'],
} as const satisfies Record<keyof typeof S, readonly string[]>

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
  TOO_MANY_CHANNELS: 4012,
  NEVER_SEEN: 4013,
  NOT_ENTITLED: 4014,
} as const
export type ErrorReason = keyof typeof ErrorCodes

/** Errors after which the same request may succeed later (the frame's `temporary`). */
export const temporaryErrors: ReadonlySet<ErrorReason> = new Set(['RATE_LIMITED', 'UNAVAILABLE', 'INTERNAL', 'TOO_MANY_CHANNELS', 'NEVER_SEEN'])

/**
 * WebSocket close codes the gateway uses. TOKEN_EXPIRED and TOKEN_REVOKED end a connection
 * whose token stops being valid while it is open (docs/auth.md, "Revocation").
 */
export const CloseCodes = { ABUSE: 4400, TOKEN_EXPIRED: 4401, TOKEN_REVOKED: 4403, TOO_SLOW: 4408, SHUTDOWN: 1001, TOO_BIG: 1009 } as const

export interface Limits {
  maxSubscriptions: number
  maxFrameBytes: number
  maxFramesPerSecond: number
  tickMs: number
  snapshotBuckets: number
  /** Distinct channels one token may watch over all its connections (0 = no limit). */
  maxChannelsPerToken: number
  /** Of those, channels of symbols or shops with no event yet (0 = no limit). */
  maxUnseenChannelsPerToken: number
}

/** The keys of HELLO's `limits` map, in the order docs/protocol.md lists them. */
export const limitKeys = [
  'maxSubscriptions', 'maxFrameBytes', 'maxFramesPerSecond', 'tickMs', 'snapshotBuckets', 'maxChannelsPerToken', 'maxUnseenChannelsPerToken',
] as const satisfies readonly (keyof Limits)[]
// Compile-time check that limitKeys names every key of Limits.
const _everyLimit: Record<keyof Limits, true> = Object.fromEntries(limitKeys.map((k) => [k, true])) as Record<(typeof limitKeys)[number], true>
void _everyLimit

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
