/// <reference lib="webworker" />
// The live worker: owns the WebSocket, decodes MessagePack frames, tracks sequence
// numbers, resyncs on gaps and resumes after reconnects (docs/protocol.md). The page
// receives plain columnar blocks with absolute times, oldest first.
import {
  C, decodeServerFrame, encodeClientFrame, S, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX,
  type ClientFrame, type ServerFrame,
} from '../../../api/protocol/index.ts'
import { absoluteTimes, deltaRows, newestTime } from './columns.ts'
import type { ConnectionState, FromWorker, ToWorker } from './messages.ts'
import { closedForGood, errorReaction, reconnectDelayMs } from './reactions.ts'

declare const self: DedicatedWorkerGlobalScope

interface Sub {
  sid: number
  channel: string
  params: Record<string, unknown>
  cid: number
  seq: number
  time: number
  /** Newest bucket time seen: where a resume starts. */
  lastT: number
  resyncing: boolean
  /** Temporary refusals since the last snapshot (drives the resubscribe backoff). */
  retries: number
  retryTimer?: ReturnType<typeof setTimeout>
}

const subs = new Map<number, Sub>()
const byCid = new Map<number, Sub>()
let ws: WebSocket | undefined
let target: { url: string; token: string } | undefined
let attempt = 0
let retryTimer: ReturnType<typeof setTimeout> | undefined

const post = (m: FromWorker) => self.postMessage(m)
const state = (s: ConnectionState, retryInMs = 0) => post({ t: 'state', state: s, retryInMs })

function send(f: ClientFrame) {
  if (ws?.readyState === WebSocket.OPEN) ws.send(encodeClientFrame(f))
}

function subscribe(s: Sub) {
  clearTimeout(s.retryTimer)
  s.resyncing = false
  send({ op: C.SUBSCRIBE, sid: s.sid, channel: s.channel, params: s.params, resume: s.seq > 0 && s.lastT > 0 ? { seq: s.seq, t: s.lastT } : undefined })
}

function connect() {
  if (!target) return
  clearTimeout(retryTimer)
  state(attempt ? 'reconnecting' : 'connecting')
  const url = new URL('/ws', target.url.replace(/^http/, 'ws'))
  const socket = new WebSocket(url, [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + target.token])
  socket.binaryType = 'arraybuffer'
  ws = socket
  let opened = false
  socket.onopen = () => {
    opened = true
    // The backoff restarts once the connection proves useful (a snapshot), so a gateway
    // that fails every subscription (INTERNAL → reconnect) is not retried in a tight loop.
    if (!subs.size) attempt = 0
    state('open')
    for (const s of subs.values()) subscribe(s)
  }
  socket.onmessage = (e) => onBytes(new Uint8Array(e.data as ArrayBuffer))
  socket.onclose = (e) => {
    if (ws !== socket) return
    ws = undefined
    byCid.clear()
    if (closedForGood(e.code)) return void state('unauthorized')
    // An upgrade refused before opening is most often a bad or expired token: probe once to tell.
    if (!opened && attempt >= 2) return void probeAuth().then((ok) => (ok ? retry(e.code) : state('unauthorized')))
    retry(e.code)
  }
}

/** Reconnects after the backoff docs/protocol.md asks for this close code. */
function retry(closeCode: number) {
  attempt++
  const ms = reconnectDelayMs(closeCode, attempt)
  state('reconnecting', ms)
  retryTimer = setTimeout(connect, ms)
}

async function probeAuth(): Promise<boolean> {
  try {
    const r = await fetch(new URL('/api/v1/q', target!.url), { headers: { authorization: `Bearer ${target!.token}` } })
    return r.status !== 401
  } catch {
    return true
  }
}

/** Decodes and applies one server frame (exported for the UI benchmark's worker, ui/bench/). */
export function onBytes(bytes: Uint8Array): void {
  let f: ServerFrame
  try {
    f = decodeServerFrame(bytes)
  } catch {
    return
  }
  onFrame(f)
}

function onFrame(f: ServerFrame) {
  if (f.type === S.SNAPSHOT) {
    const s = subs.get(f.sid)
    if (!s) return
    byCid.delete(s.cid)
    s.cid = f.cid
    s.seq = f.seq
    s.time = f.meta.time
    s.resyncing = false
    s.retries = 0
    attempt = 0
    byCid.set(f.cid, s)
    const cols = absoluteTimes(f.cols, f.base, f.meta.time)
    s.lastT = newestTime(cols, s.time, f.since === null ? 0 : s.lastT)
    post({ t: 'snapshot', sid: f.sid, meta: f.meta, cols, since: f.since })
  } else if (f.type === S.DELTA) {
    const s = byCid.get(f.cid)
    if (!s || s.resyncing || f.seq <= s.seq) return
    if (f.seq !== s.seq + 1) {
      s.resyncing = true
      return send({ op: C.RESYNC, sid: s.sid })
    }
    s.seq = f.seq
    const rows = deltaRows(f.replace, f.append)
    const upsert = rows && absoluteTimes(rows, f.base, s.time)
    if (upsert) s.lastT = newestTime(upsert, s.time, s.lastT)
    post({ t: 'delta', sid: s.sid, upsert, remove: f.remove, sentAt: f.base + f.sentOffset })
  } else if (f.type === S.ERROR) {
    post({ t: 'error', sid: f.sid, code: f.code, reason: f.reason, message: f.message, temporary: f.temporary })
    const s = f.sid === null ? undefined : subs.get(f.sid)
    const reaction = errorReaction(f.code, f.temporary, s?.retries ?? 0)
    if (reaction.do === 'reconnect') ws?.close()
    else if (reaction.do === 'forget' && s) forget(s)
    else if (reaction.do === 'resubscribe' && s) {
      s.retries++
      clearTimeout(s.retryTimer)
      s.retryTimer = setTimeout(() => subs.get(s.sid) === s && subscribe(s), reaction.afterMs)
    }
  }
}

/** Drops a subscription's protocol state: a later resubscribe starts from a full snapshot. */
function forget(s: Sub) {
  clearTimeout(s.retryTimer)
  byCid.delete(s.cid)
  s.cid = -1
  s.seq = 0
  s.lastT = 0
  s.resyncing = false
}

/** Handles one message from the page (exported so the UI benchmark's worker can wrap it). */
export function handle(m: ToWorker): void {
  if (m.t === 'connect') {
    target = { url: m.url, token: m.token }
    attempt = 0
    ws?.close()
    connect()
  } else if (m.t === 'sub') {
    const s: Sub = { sid: m.sid, channel: m.channel, params: m.params, cid: -1, seq: 0, time: -1, lastT: 0, resyncing: false, retries: 0 }
    subs.set(m.sid, s)
    subscribe(s)
  } else if (m.t === 'unsub') {
    const s = subs.get(m.sid)
    subs.delete(m.sid)
    if (s) forget(s)
    send({ op: C.UNSUBSCRIBE, sid: m.sid })
  } else if (m.t === 'close') {
    target = undefined
    clearTimeout(retryTimer)
    const socket = ws
    ws = undefined // its onclose then schedules no reconnect
    socket?.close(1000, 'signed out')
    self.close()
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => handle(e.data)
