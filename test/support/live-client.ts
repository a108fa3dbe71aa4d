// A reference client for tests and the benchmark: builds each subscription's state from
// snapshot + deltas exactly as docs/protocol.md says, over a real `ws` WebSocket, and checks
// the protocol's invariants on every frame it receives (protocol-invariants.ts).
import WebSocket from 'ws'
import { InvariantChecker } from './protocol-invariants.ts'
import {
  C, decodeServerFrame, encodeClientFrame, S, SUBPROTOCOL, toRows,
  type Cell, type ChannelMeta, type ClientFrame, type ServerFrame,
} from '../../api/protocol/index.ts'

export interface SubState {
  sid: number
  cid: number
  seq: number
  meta: ChannelMeta
  rows: Map<string, Cell[]>
  snapshots: number
  gaps: number
  resyncing: boolean
}

export class LiveClient {
  readonly frames: ServerFrame[] = []
  readonly subs = new Map<number, SubState>()
  closeCode?: number
  /** Set to drop the next delta of a channel on the floor (forces a gap). */
  dropNextDelta = false
  autoResync = true
  private readonly byCid = new Map<number, SubState>()
  /** Invariants broken by frames this client received; tests expect none. */
  readonly invariants = new InvariantChecker()
  /** Every client's broken invariants, for an afterAll check over a whole file. */
  static readonly violations: string[] = []

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.onFrame(decodeServerFrame(new Uint8Array(data))))
    ws.on('close', (code) => (this.closeCode = code))
  }

  static connect(url: string, opts: { token?: string; via?: 'header' | 'query' | 'protocol' } = {}): Promise<LiveClient> {
    const wsUrl = new URL('/ws', url.replace(/^http/, 'ws'))
    const headers: Record<string, string> = {}
    const protocols = [SUBPROTOCOL]
    if (opts.token && (opts.via ?? 'header') === 'header') headers.authorization = `Bearer ${opts.token}`
    if (opts.token && opts.via === 'query') wsUrl.searchParams.set('access_token', opts.token)
    if (opts.token && opts.via === 'protocol') protocols.push(`bearer.${opts.token}`)
    const ws = new WebSocket(wsUrl, protocols, { headers })
    const client = new LiveClient(ws)
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client))
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })))
      ws.once('error', reject)
    })
  }

  send(f: ClientFrame) {
    this.ws.send(encodeClientFrame(f))
  }

  sendRaw(bytes: Uint8Array | string) {
    this.ws.send(bytes)
  }

  subscribe(sid: number, channel: string, params: Record<string, unknown>, resume?: { seq: number; t: number }) {
    this.send({ op: C.SUBSCRIBE, sid, channel, params, resume })
  }

  errors() {
    return this.frames.filter((f): f is Extract<ServerFrame, { type: typeof S.ERROR }> => f.type === S.ERROR)
  }

  /** The rows of a subscription, oldest first, with absolute times. */
  rows(sid: number): Cell[][] {
    const s = this.subs.get(sid)
    if (!s) return []
    const rows = [...s.rows.values()]
    if (s.meta.time >= 0) rows.sort((a, b) => (a[s.meta.time] as number) - (b[s.meta.time] as number))
    return rows
  }

  close() {
    this.ws.close()
  }

  private key(meta: ChannelMeta, row: Cell[]) {
    return JSON.stringify(meta.key.map((i) => row[i]))
  }

  private onFrame(f: ServerFrame) {
    this.frames.push(f)
    const before = this.invariants.violations.length
    this.invariants.check(f)
    LiveClient.violations.push(...this.invariants.violations.slice(before))
    if (f.type === S.SNAPSHOT) {
      const prev = this.subs.get(f.sid)
      const s: SubState = { sid: f.sid, cid: f.cid, seq: f.seq, meta: f.meta, rows: new Map(), snapshots: (prev?.snapshots ?? 0) + 1, gaps: prev?.gaps ?? 0, resyncing: false }
      // A snapshot with `since` replaces only rows at or after it (a resumption).
      if (prev && f.since !== null) for (const [k, r] of prev.rows) if ((r[f.meta.time] as number) < f.since) s.rows.set(k, r)
      for (const r of toRows(f.cols, f.base, f.meta.time)) s.rows.set(this.key(f.meta, r), r)
      if (prev) this.byCid.delete(prev.cid)
      this.subs.set(f.sid, s)
      this.byCid.set(f.cid, s)
    } else if (f.type === S.DELTA) {
      const s = this.byCid.get(f.cid)
      if (!s) return
      if (this.dropNextDelta) return void (this.dropNextDelta = false)
      if (f.seq <= s.seq || s.resyncing) return
      if (f.seq !== s.seq + 1) {
        s.gaps++
        s.resyncing = this.autoResync
        if (this.autoResync) this.send({ op: C.RESYNC, sid: s.sid })
        return
      }
      s.seq = f.seq
      for (const block of [f.append, f.replace]) if (block) for (const r of toRows(block, f.base, s.meta.time)) s.rows.set(this.key(s.meta, r), r)
      for (const k of f.remove ?? []) s.rows.delete(JSON.stringify(k))
    } else if (f.type === S.UNSUBSCRIBED) {
      const s = this.subs.get(f.sid)
      if (s) this.byCid.delete(s.cid)
      this.subs.delete(f.sid)
    }
  }
}
