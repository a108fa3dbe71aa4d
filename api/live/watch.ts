// Server-side watchers of live queries (alert rules, say): they ride a channel's live query
// like a socket subscriber, without a socket. With replicas a watcher hears only while its
// gateway leads the channel, so something it triggers happens once, not once per replica.
// A change watcher hears the state, then every change; a tick watcher hears every tick, even
// one that changed nothing, for answers that depend on time as well as on rows.
import { ZodError } from 'zod'
import { AppError } from '../../core/errors.ts'
import * as access from '../access.ts'
import type { Principal } from '../../core/roles.ts'
import type { Logger } from '../log.ts'
import { changeOf, decodeServerFrame, S, type Change } from '../protocol/index.ts'
import { leadsChannel, type LiveBroker } from './broker.ts'
import { channels } from './channels.ts'
import type { LiveQuery } from './live-query.ts'
import type { Watched } from './scheduler.ts'

export type WatchListener = (lq: LiveQuery, change: Change) => void

/**
 * Called once per tick of the channel on the gateway leading it, with the tick's change or null
 * when nothing changed. `lq.seq` numbers the change; a jump of more than one means ticks ran on
 * another replica meanwhile, and `lq.currentRows()` is the whole state after this tick.
 */
export type TickListener = (lq: LiveQuery, change: Change | null) => void

export interface Watch {
  close(): void
}

interface Watcher {
  topic: string
  w?: Watched
  /** Exactly one of the two. */
  onChange?: WatchListener
  onTick?: TickListener
  /** The current state was handed over since this gateway (last) took the lead. */
  primed: boolean
  closed: boolean
  retries: number
  timer?: NodeJS.Timeout
}

/** A channel's whole current state as a change: every row new to a watcher that starts now. */
const stateAsChange = (lq: LiveQuery): Change => ({ append: lq.currentRows(), replace: [], remove: [] })

export function createWatches(o: { broker: () => LiveBroker; log: Logger }) {
  const byCid = new Map<number, Set<Watcher>>()

  function call(x: Watcher, lq: LiveQuery, change: Change | null) {
    try {
      if (x.onTick) x.onTick(lq, change)
      else if (change) x.onChange!(lq, change)
    } catch (error) {
      o.log.error('live watcher failed', { topic: x.topic, error })
    }
  }

  /** Hands over the current state once this gateway leads; later changes follow one by one. */
  function prime(x: Watcher) {
    const lq = x.w!.lq
    if (x.onTick || x.closed || x.primed || !lq.loaded || !leadsChannel(o.broker(), x.topic)) return
    x.primed = true
    call(x, lq, stateAsChange(lq))
  }

  function join(x: Watcher, spec: NonNullable<ReturnType<typeof channels.get>>, params: unknown) {
    const w = (x.w = o.broker().acquire(spec, params, x.topic))
    if (!byCid.has(w.lq.cid)) byCid.set(w.lq.cid, new Set())
    byCid.get(w.lq.cid)!.add(x)
    // A watcher closed (or re-joined) before this query loaded has let go of it: nothing to do.
    w.ready.then(() => void (x.w === w && ((x.retries = 0), prime(x))), (error) => {
      if (x.w !== w) return
      // The broker forgot the channel; join again later, doubling the wait up to 30 s.
      o.log.warn('live watch could not start; retrying', { topic: x.topic, error })
      leave(x)
      if (!x.closed) x.timer = setTimeout(() => join(x, spec, params), Math.min(30_000, 1000 * 2 ** x.retries++))
    })
  }

  function leave(x: Watcher) {
    if (!x.w) return
    const set = byCid.get(x.w.lq.cid)
    set?.delete(x)
    if (set?.size === 0) byCid.delete(x.w.lq.cid)
    o.broker().release(x.w)
    x.w = undefined
    x.primed = false
  }

  /** Parses and authorises as a SUBSCRIBE does, then joins the channel's live query. */
  function open(channel: string, params: Record<string, unknown>, principal: Principal, listener: Pick<Watcher, 'onChange' | 'onTick'>): Watch {
    const spec = channels.get(channel)
    if (!spec) throw new AppError(404, 'UNKNOWN_CHANNEL', `no live channel ${channel}`)
    let p: unknown
    try {
      p = spec.parse(params, principal)
    } catch (e) {
      const detail = e instanceof ZodError ? e.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ') : 'invalid'
      throw new AppError(400, 'BAD_ARGUMENT', detail.slice(0, 200), { cause: e })
    }
    access.enforce(access.channel(principal, spec.name, p as Record<string, unknown>))
    const x: Watcher = { topic: spec.topic(p), ...listener, primed: false, closed: false, retries: 0 }
    join(x, spec, p)
    return {
      close() {
        if (x.closed) return
        x.closed = true
        clearTimeout(x.timer)
        leave(x)
      },
    }
  }

  return {
    /**
     * Watches `channel` with `params` as `principal` (its entitlements apply): `onChange` gets
     * the current rows first (all in `append`), then every change in sequence order, while this
     * gateway leads the channel. Throws AppError UNKNOWN_CHANNEL (404), BAD_ARGUMENT (400),
     * FORBIDDEN or NOT_ENTITLED (403, api/access.ts decides).
     */
    watch: (channel: string, params: Record<string, unknown>, principal: Principal, onChange: WatchListener): Watch =>
      open(channel, params, principal, { onChange }),

    /**
     * As `watch`, but `onTick` is called on every tick of the channel while this gateway leads
     * it (TickListener), changed or not, straight from the tick: no state first, and with
     * replicas no round trip through Redis. For rules that need time to move (`for_s`, buckets
     * that close) as well as rows to change.
     */
    watchTicks: (channel: string, params: Record<string, unknown>, principal: Principal, onTick: TickListener): Watch =>
      open(channel, params, principal, { onTick }),

    /** A published DELTA of `lq` (with its change when the caller has it). */
    deliver(lq: LiveQuery, frame: Uint8Array, change?: Change) {
      const set = byCid.get(lq.cid)
      if (!set) return
      const leading = leadsChannel(o.broker(), lq.topic)
      let c = change
      for (const x of set) {
        if (x.onTick) continue // ticks come from ticked()
        if (!leading) x.primed = false
        else if (!x.primed) prime(x) // the state handed over already holds this change
        else {
          if (!c) {
            const f = decodeServerFrame(frame)
            if (f.type !== S.DELTA) return
            c = changeOf(f, lq.spec.meta)
          }
          call(x, lq, c)
        }
      }
    },

    /** A tick's read of `lq`, which this gateway runs (leads), with its change or null. */
    ticked(lq: LiveQuery, change: Change | null) {
      const set = byCid.get(lq.cid)
      if (!set || !leadsChannel(o.broker(), lq.topic)) return
      for (const x of set) if (x.onTick && !x.closed) call(x, lq, change)
    },

    count: () => [...byCid.values()].reduce((n, s) => n + s.size, 0),
  }
}

export type Watches = ReturnType<typeof createWatches>
