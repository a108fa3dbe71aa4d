// The live protocol's invariants (docs/protocol.md, "What the server promises"), checked on the
// frames one client receives, independently of how the server computed them:
// - DELTA sequence numbers of a channel follow its SNAPSHOT without gaps (seq + 1 each);
// - `append` rows have keys the client does not hold; on series channels they are also
//   strictly newer than every row sent before;
// - `replace` rows have keys the client holds (series channels: or a new key inside a bucket
//   it holds, such as a new currency in the current minute of `sales`);
// - `remove` keys are held by the client.
import { toRows, type Cell, type ChannelMeta, type ServerFrame } from '../../api/protocol/index.ts'

type Snapshot = Extract<ServerFrame, { type: 16 }>
type Delta = Extract<ServerFrame, { type: 17 }>

interface Channel {
  meta: ChannelMeta
  mode: 'series' | 'tape' | 'table'
  seq: number
  /** Key text → time of the row held (0 without a time column). */
  held: Map<string, number>
  newest: number
}

/** Series channels key rows by their bucket time; tapes have a time outside the key; tables none. */
export const modeOf = (meta: ChannelMeta): Channel['mode'] => (meta.time < 0 ? 'table' : meta.key.includes(meta.time) ? 'series' : 'tape')

export class InvariantChecker {
  readonly violations: string[] = []
  private readonly bySid = new Map<number, Channel>()
  private readonly byCid = new Map<number, Channel>()

  /** Checks one received frame; other frame types pass through. */
  check(f: ServerFrame) {
    if (f.type === 16) this.snapshot(f)
    else if (f.type === 17) this.delta(f)
  }

  private snapshot(f: Snapshot) {
    const prev = this.bySid.get(f.sid)
    const c: Channel = { meta: f.meta, mode: modeOf(f.meta), seq: f.seq, held: new Map(), newest: -Infinity }
    // A resumption keeps what the client held before `since` (state rule 2).
    if (prev && f.since !== null) for (const [k, t] of prev.held) if (t < f.since) c.held.set(k, t)
    for (const row of toRows(f.cols, f.base, f.meta.time)) this.hold(c, row)
    if (prev) for (const [cid, x] of this.byCid) if (x === prev) this.byCid.delete(cid)
    this.bySid.set(f.sid, c)
    this.byCid.set(f.cid, c)
  }

  private delta(f: Delta) {
    const c = this.byCid.get(f.cid)
    if (!c || f.seq <= c.seq) return // not subscribed (yet), or a duplicate the client ignores
    const where = `cid ${f.cid} seq ${f.seq}`
    if (f.seq !== c.seq + 1) this.violations.push(`${where}: gap after seq ${c.seq}`)
    const append = f.append ? toRows(f.append, f.base, c.meta.time) : []
    const replace = f.replace ? toRows(f.replace, f.base, c.meta.time) : []
    for (const row of append) {
      const k = this.key(c, row)
      if (c.held.has(k)) this.violations.push(`${where}: append of held key ${k}`)
      if (c.mode === 'series' && this.time(c, row) <= c.newest) this.violations.push(`${where}: append of ${k} not newer than ${c.newest}`)
    }
    for (const row of replace) {
      const k = this.key(c, row)
      const inHeldBucket = c.mode === 'series' && this.time(c, row) <= c.newest
      if (!c.held.has(k) && !inHeldBucket) this.violations.push(`${where}: replace of unknown key ${k}`)
    }
    for (const key of f.remove ?? []) {
      const k = JSON.stringify(key)
      if (!c.held.has(k)) this.violations.push(`${where}: remove of unknown key ${k}`)
      c.held.delete(k)
    }
    for (const row of [...append, ...replace]) this.hold(c, row)
    c.seq = f.seq
  }

  private key(c: Channel, row: Cell[]) {
    return JSON.stringify(c.meta.key.map((i) => row[i]))
  }

  private time(c: Channel, row: Cell[]) {
    return c.meta.time < 0 ? 0 : (row[c.meta.time] as number)
  }

  private hold(c: Channel, row: Cell[]) {
    const t = this.time(c, row)
    c.held.set(this.key(c, row), t)
    if (c.mode !== 'table') c.newest = Math.max(c.newest, t)
  }
}
