// The one thing the evaluator needs from the live gateway: the rows a live channel's query
// computed, tick by tick, on the replica that runs (leads) that channel. Rules ride on the
// live queries the gateway runs anyway: a rule adds no query of its own.
// api/live/alerts-feed.ts implements this over the current scheduler; tests use a fake.
import type { Principal } from '../../core/roles.ts'
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
