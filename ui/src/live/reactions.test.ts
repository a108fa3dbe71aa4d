import { describe, expect, it } from 'vitest'
import { CloseCodes, ErrorCodes } from '../../../api/protocol/index.ts'
import { backoffMs, closedForGood, errorReaction, reconnectDelayMs } from './reactions.ts'

describe('live error reactions (docs/protocol.md)', () => {
  it('resubscribes after UNAVAILABLE from 1 s, doubling to 30 s', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 20].map((n) => errorReaction(ErrorCodes.UNAVAILABLE, true, n))
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000].map((afterMs) => ({ do: 'resubscribe', afterMs })))
  })

  it('reconnects after INTERNAL, forgets the subscription after NOT_SUBSCRIBED', () => {
    expect(errorReaction(ErrorCodes.INTERNAL, true, 0)).toEqual({ do: 'reconnect' })
    expect(errorReaction(ErrorCodes.NOT_SUBSCRIBED, false, 0)).toEqual({ do: 'forget' })
  })

  it('retries other temporary errors with backoff and never a permanent one', () => {
    expect(errorReaction(ErrorCodes.RATE_LIMITED, true, 1)).toEqual({ do: 'resubscribe', afterMs: 2000 })
    for (const code of [ErrorCodes.FORBIDDEN, ErrorCodes.NOT_ENTITLED, ErrorCodes.BAD_ARGUMENT, ErrorCodes.UNKNOWN_CHANNEL, ErrorCodes.TOO_MANY_SUBSCRIPTIONS]) {
      expect(errorReaction(code, false, 0)).toEqual({ do: 'nothing' })
    }
  })

  it('waits at least 30 s before reconnecting after close 4400, and backs off up to 10 s otherwise', () => {
    for (const attempt of [1, 2, 10]) expect(reconnectDelayMs(CloseCodes.ABUSE, attempt, 0.99)).toBeGreaterThanOrEqual(30_000)
    expect(reconnectDelayMs(CloseCodes.TOO_SLOW, 1, 0)).toBe(500)
    expect(reconnectDelayMs(CloseCodes.SHUTDOWN, 3, 0)).toBe(2000)
    expect(reconnectDelayMs(1006, 50, 0)).toBe(10_000)
    expect(reconnectDelayMs(1006, 50, 0.999)).toBeGreaterThanOrEqual(5000)
  })

  it('stops at close 4403 (token revoked) and reconnects after 4401 (expired: the renewed token is used)', () => {
    expect(closedForGood(CloseCodes.TOKEN_REVOKED)).toBe(true)
    for (const code of [CloseCodes.TOKEN_EXPIRED, CloseCodes.ABUSE, CloseCodes.SHUTDOWN, 1006]) expect(closedForGood(code)).toBe(false)
  })

  it('jitter takes at most half off', () => {
    expect(backoffMs(2, 100, 10_000, 0)).toBe(400)
    expect(backoffMs(2, 100, 10_000, 1)).toBe(200)
  })
})
