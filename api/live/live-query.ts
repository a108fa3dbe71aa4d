// One live query per distinct channel topic: reads the recent buckets from ClickHouse
// each tick, diffs them against the last published state and yields only the change.
import type { ClickHouseClient } from '@clickhouse/client'
import { inlineParams } from '../clickhouse/literal.ts'
import { baseOf, toBlock, type Block, type Cell, type Change } from '../protocol/index.ts'
import type { ChannelSpec, Sql } from './channels.ts'

export interface LiveQueryOptions {
  snapshotBuckets: number
  latenessMs: number
  /** Trades per second a tape channel publishes at most. */
  tapeMaxPerS: number
  tickMs: number
  now?: () => number
}

export type { Block, Change }

export class LiveQuery {
  seq = 0
  /** Newest bucket time published (ms), -Infinity until rows arrive. */
  watermark = -Infinity
  private readonly state = new Map<string, Cell[]>()
  private snapshotCache?: { seq: number; block: Block }
  closed = false
  /** True once the first snapshot is loaded: only loaded queries tick. */
  loaded = false

  constructor(
    readonly cid: number,
    readonly topic: string,
    readonly spec: ChannelSpec,
    readonly params: unknown,
    private readonly ch: ClickHouseClient,
    private readonly opts: LiveQueryOptions,
  ) {}

  private get now() {
    return (this.opts.now ?? Date.now)()
  }

  private get windowMs() {
    return this.spec.bucketMs(this.params) * this.opts.snapshotBuckets
  }

  private get lateness() {
    return Math.max(this.opts.latenessMs, 2 * this.spec.bucketMs(this.params))
  }

  private keyOf(row: Cell[]): string {
    const k = this.spec.meta.key
    return k.length === 1 ? String(row[k[0]]) : keyText(k.map((i) => row[i]))
  }

  private timeOf(row: Cell[]): number {
    return this.spec.meta.time < 0 ? 0 : (row[this.spec.meta.time] as number)
  }

  private async fetch(sinceMs: number, limit: number, ch = this.ch): Promise<Cell[][]> {
    const rows = await queryRows(ch, this.spec.read(this.params, sinceMs, limit))
    // Newest-first LIMIT in SQL (keeps the latest when capped); publish oldest-first.
    return this.spec.mode === 'table' ? rows : rows.reverse()
  }

  /** First read: the last `snapshotBuckets` buckets (or rows). */
  async load(): Promise<void> {
    const rows = await this.fetch(this.initialSince(), this.snapshotLimit())
    for (const row of rows) this.state.set(this.keyOf(row), row)
    this.advance(rows)
    this.loaded = true
  }

  private initialSince() {
    if (this.spec.mode === 'tape') return this.now - 3_600_000
    return this.now - this.windowMs
  }

  private snapshotLimit() {
    return this.spec.mode === 'series' ? this.opts.snapshotBuckets * 16 : this.opts.snapshotBuckets
  }

  private advance(rows: Cell[][]) {
    for (const r of rows) this.watermark = Math.max(this.watermark, this.timeOf(r))
  }

  /** Start of the range a tick re-reads: the watermark (never past now) minus the allowed lateness. */
  private tickSince(): number {
    if (this.watermark === -Infinity) return this.initialSince()
    return Math.min(this.watermark, this.now) - this.lateness
  }

  /** What the next tick reads: rows at or after `since`, at most `limit`. */
  tickRange(): { since: number; limit: number } {
    const limit = this.spec.mode === 'tape'
      ? Math.max(1, Math.ceil((this.opts.tapeMaxPerS * this.opts.tickMs) / 1000))
      : this.snapshotLimit()
    return { since: this.tickSince(), limit }
  }

  /** The rows a tick diffs (on `ch`, default this query's connection); `apply` them to get the change. */
  read(ch = this.ch): Promise<Cell[][]> {
    const { since, limit } = this.tickRange()
    return this.fetch(since, limit, ch)
  }

  /** Diffs rows read for this tick (oldest first; tables in any order) against the published state. */
  apply(rows: Cell[][]): Change | null {
    if (this.closed) return null
    const change = this.diff(rows)
    if (!change.append.length && !change.replace.length && !change.remove.length) return null
    this.seq++
    this.trim()
    return change
  }

  private diff(rows: Cell[][]): Change {
    const change: Change = { append: [], replace: [], remove: [] }
    const seen = new Set<string>()
    const wm = this.watermark
    const lateness = this.lateness
    for (const row of rows) {
      const k = this.keyOf(row)
      seen.add(k)
      const prev = this.state.get(k)
      if (prev && sameRow(prev, row)) continue
      if (this.spec.mode === 'tape' && !prev && this.timeOf(row) < wm - lateness) continue
      this.state.set(k, row)
      if (!prev && this.isAppend(row, wm)) change.append.push(row)
      else change.replace.push(row)
    }
    if (this.spec.mode === 'table') {
      for (const [k, row] of this.state) {
        if (seen.has(k)) continue
        this.state.delete(k)
        change.remove.push(this.spec.meta.key.map((i) => row[i]))
      }
    }
    this.advance(rows)
    return change
  }

  /**
   * Whether a row with a new key is an `append` (docs/protocol.md): tape trades and table rows
   * always; series rows only when strictly newer than every bucket published (`wm`), because a
   * new key inside a published bucket (a new currency this minute) is a correction of it.
   */
  private isAppend(row: Cell[], wm: number): boolean {
    if (this.spec.mode !== 'series') return true
    return this.timeOf(row) > wm
  }

  /** Forgets rows that fell out of the snapshot window; clients age them out by the same rule. */
  private trim() {
    if (this.spec.mode === 'table') return
    if (this.spec.mode === 'tape') {
      const excess = this.state.size - this.opts.snapshotBuckets
      if (excess > 0) {
        const sorted = [...this.state.entries()].sort((a, b) => this.timeOf(a[1]) - this.timeOf(b[1]))
        for (let i = 0; i < excess; i++) this.state.delete(sorted[i][0])
      }
      return
    }
    const oldest = this.watermark - this.windowMs
    for (const [k, row] of this.state) if (this.timeOf(row) < oldest) this.state.delete(k)
  }

  /** The current state as one columnar block, sorted by time; cached per sequence number. */
  snapshot(): Block {
    if (this.snapshotCache?.seq === this.seq) return this.snapshotCache.block
    const rows = [...this.state.values()]
    if (this.spec.meta.time >= 0) rows.sort((a, b) => this.timeOf(a) - this.timeOf(b))
    const block = toBlock(rows, this.spec.meta.time, baseOf([rows], this.spec.meta.time, this.now))
    this.snapshotCache = { seq: this.seq, block }
    return block
  }

  /** The current rows, sorted by time (copies): a watcher's starting state. */
  currentRows(): Cell[][] {
    const rows = [...this.state.values()].map((r) => [...r])
    if (this.spec.meta.time >= 0) rows.sort((a, b) => this.timeOf(a) - this.timeOf(b))
    return rows
  }

  /**
   * What a client that last saw bucket `t` missed, read from ClickHouse: every row at or
   * after `since` (returned), which the client replaces. Null when `t` is outside the window.
   */
  async readSince(t: number): Promise<{ since: number; block: Block } | null> {
    if (this.spec.mode === 'table' || t < this.now - this.windowMs) return null
    const since = Math.min(t, this.watermark === -Infinity ? t : this.watermark) - this.lateness
    const rows = await this.fetch(since, this.snapshotLimit())
    return { since, block: toBlock(rows, this.spec.meta.time, baseOf([rows], this.spec.meta.time, this.now)) }
  }

  /** Replication (api/live/replication.ts): what another gateway needs to continue this query. */
  exportState(): LiveState {
    return { seq: this.seq, watermark: this.watermark, rows: [...this.state.values()] }
  }

  /** Replication: continues from a state another gateway exported; the next change is `s.seq + 1`. */
  restore(s: LiveState) {
    this.state.clear()
    for (const row of s.rows) this.state.set(this.keyOf(row), row)
    this.seq = s.seq
    this.watermark = s.watermark
    this.snapshotCache = undefined
    this.loaded = true
  }

  /** Replication: applies a change another gateway published as delta `seq`, as a client does (docs/protocol.md). */
  applyPublished(seq: number, change: Change) {
    for (const rows of [change.append, change.replace]) for (const row of rows) this.state.set(this.keyOf(row), row)
    for (const key of change.remove) this.state.delete(keyText(key))
    this.advance(change.append)
    this.advance(change.replace)
    this.seq = seq
    this.trim()
  }
}

/** A live query's published state: enough for another gateway to serve snapshots and continue the sequence. */
export interface LiveState {
  seq: number
  watermark: number
  rows: Cell[][]
}

/**
 * Runs one channel query on a live connection; rows as arrays of cells. Parameters are
 * inlined (api/clickhouse/literal.ts): bound queries would run one at a time in chDB.
 */
async function queryRows(ch: ClickHouseClient, sql: Sql): Promise<Cell[][]> {
  const rs = await ch.query({
    query: inlineParams(sql.query, sql.params),
    format: 'JSONCompactEachRow',
    // Our own 'live' connection: this setting sticking to its session is what we want.
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })
  return rs.json<Cell[]>()
}

/**
 * One tick's read for several live queries of one batchable channel kind (e.g. every 1s
 * candle channel): one SQL read for all of them instead of one each. Returns each query's
 * own rows, in the order of `lqs`, for its `apply`.
 */
export async function readBatch(ch: ClickHouseClient, lqs: LiveQuery[]): Promise<Cell[][][]> {
  const batch = lqs[0].spec.batch!
  const ranges = lqs.map((lq) => lq.tickRange())
  const since = Math.min(...ranges.map((r) => r.since))
  const limit = Math.max(...ranges.map((r) => r.limit))
  const rows = await queryRows(ch, batch.read(lqs.map((lq) => lq.params), since, limit))
  // Rows come grouped by member, newest first within each; cell 0 names the member.
  const byMember = new Map<Cell, Cell[][]>()
  for (const row of rows) {
    const member = row[0]
    let list = byMember.get(member)
    if (!list) byMember.set(member, (list = []))
    list.push(row.slice(1))
  }
  return lqs.map((lq, i) => {
    const mine = byMember.get(batch.member(lq.params)) ?? []
    const time = lq.spec.meta.time
    // The shared read starts at the earliest member's range; each keeps only its own
    // (whole seconds, as the channels' `since` filter compares).
    const from = Math.floor(ranges[i].since / 1000) * 1000
    const kept: Cell[][] = []
    for (let r = mine.length - 1; r >= 0; r--) if (time < 0 || (mine[r][time] as number) >= from) kept.push(mine[r])
    return kept
  })
}

/** A row's identity in the state map, from its key cells (a REMOVE entry is exactly those). */
function keyText(key: Cell[]): string {
  return key.length === 1 ? String(key[0]) : JSON.stringify(key)
}

function sameRow(a: Cell[], b: Cell[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
