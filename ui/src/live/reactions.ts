// What the worker does after an ERROR frame or a closed socket: the "client reaction"
// column of docs/protocol.md's error table and its close codes, as pure functions.
import { CloseCodes, ErrorCodes } from '../../../api/protocol/index.ts'

/** `baseMs · 2^attempt`, capped at `maxMs`; `jitter` in [0, 1) takes up to half off (spreads a herd of clients). */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, jitter = 0): number {
  return Math.round(Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30)) * (1 - jitter / 2))
}

/** Delay before reconnect number `attempt` (1, 2, …) after the socket closed with `closeCode`. */
export function reconnectDelayMs(closeCode: number, attempt: number, jitter = Math.random()): number {
  const ms = backoffMs(attempt, 250, 10_000, jitter)
  // Closed for too many errors: reconnecting in a loop would only repeat them.
  return closeCode === CloseCodes.ABUSE ? Math.max(30_000, ms) : ms
}

/** A socket closed because its token was revoked: reconnecting with that token can only be refused. */
export const closedForGood = (closeCode: number) => closeCode === CloseCodes.TOKEN_REVOKED

export type ErrorReaction =
  /** Subscribe again after `afterMs` (the `retries`-th retry of this subscription). */
  | { do: 'resubscribe'; afterMs: number }
  /** Close the socket; the usual reconnect backoff and resume follow. */
  | { do: 'reconnect' }
  /** Forget the subscription's local state (sequence, live query id). */
  | { do: 'forget' }
  /** Nothing to retry: the request must change (shown to the user). */
  | { do: 'nothing' }

/** The reaction to ERROR `code` (with its `temporary` flag) for a subscription retried `retries` times already. */
export function errorReaction(code: number, temporary: boolean, retries: number): ErrorReaction {
  if (code === ErrorCodes.INTERNAL) return { do: 'reconnect' }
  if (code === ErrorCodes.NOT_SUBSCRIBED) return { do: 'forget' }
  // UNAVAILABLE: 1 s, doubling to 30 s; other temporary refusals (RATE_LIMITED…) the same way.
  if (code === ErrorCodes.UNAVAILABLE || temporary) return { do: 'resubscribe', afterMs: backoffMs(retries, 1000, 30_000) }
  return { do: 'nothing' }
}
