// Channels whose rows are pushed to each subscription as they happen (the `alerts` channel,
// api/alerts/channel.ts) rather than read by a live query every tick. They are admitted,
// counted, fanned out and framed like every other channel (subscriptions.ts, registry.ts,
// fanout.ts, api/protocol); who may subscribe is api/access.ts's (its channelRules name every
// channel), a PushChannel only produces the rows.
import type { Principal } from '../../core/roles.ts'
import type { Cell, ChannelMeta } from '../protocol/index.ts'

export interface PushChannel<P = unknown> {
  name: string
  meta: ChannelMeta
  /** The client's params; throws when invalid (a ZodError names the field): ERROR BAD_ARGUMENT. */
  parse(raw: Record<string, unknown>, principal: Principal): P
  /** What the token's channel limit counts: the same topic on several connections counts once. */
  topic(principal: Principal, params: P): string
  /** One subscription's rows: a snapshot first (rows from `since`, or the recent ones), then each new row. */
  open(o: { principal: Principal; params: P; since: number | null }, sink: PushSink): PushSource
}

export interface PushSink {
  /** Every row at or after `since` (null: the recent rows, a whole state), oldest first. */
  snapshot(rows: Cell[][], since: number | null): void
  /** Rows new since the snapshot, in order; not called while a snapshot is being read. */
  append(rows: Cell[][]): void
  /** The snapshot could not be read: the subscription ends with ERROR UNAVAILABLE (the client resubscribes). */
  failed(error: unknown): void
}

export interface PushSource {
  /** Reads a snapshot again: rows from `since` (a slow client drained), or the recent ones (RESYNC). */
  resync(since: number | null): void
  close(): void
}
