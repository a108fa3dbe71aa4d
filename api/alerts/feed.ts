// The one thing the evaluator needs from the live gateway: the rows a live channel's query
// computed, tick by tick, on the replica that runs (leads) that channel. Rules ride on the
// live queries the gateway runs anyway: a rule adds no query of its own.
// `liveFeed` (below) implements it over the gateway's tick watchers; tests use a fake.
import type { Principal } from '../../core/roles.ts'
import type { LiveGateway } from '../live/gateway.ts'
import type { Cell } from '../protocol/index.ts'

export interface LiveChange {
  append: Cell[][]
  replace: Cell[][]
  remove: Cell[][]
}

/** A live channel's published state as a watcher sees it. */
export interface LiveView {
  topic: string
  /** Sequence number of the latest change (docs/protocol.md); a jump means changes were not seen here. */
  seq: number
  /** The current rows, absolute times, oldest first for series and tape channels. */
  rows(): Cell[][]
}

/**
 * Called once per tick of the channel on the replica leading it: with the tick's change, or
 * null when nothing changed (time still moves: `for_s` and closed buckets need the tick).
 * Never called on a replica that only mirrors the channel, so a rule fires once.
 */
export type TickListener = (view: LiveView, change: LiveChange | null) => void

export interface LiveFeed {
  /**
   * Keeps the channel running while watched. `params` are the client's (raw) params, parsed
   * and authorised with `principal` exactly as a WebSocket SUBSCRIBE (throws if refused).
   */
  watch(channel: string, params: Record<string, unknown>, principal: Principal, onTick: TickListener): { close(): void }
}

/**
 * The feed over LiveGateway.watchTicks (api/live/watch.ts), which calls back on every tick of
 * the gateway leading the channel, straight from the tick. `live` is read at the first watch:
 * the gateway is created after the alerts it hands the `alerts` channel to.
 */
export function liveFeed(live: () => Pick<LiveGateway, 'watchTicks'>): LiveFeed {
  return {
    watch: (channel, params, principal, onTick) =>
      live().watchTicks(channel, params, principal, (lq, change) => onTick({ topic: lq.topic, seq: lq.seq, rows: () => lq.currentRows() }, change)),
  }
}
