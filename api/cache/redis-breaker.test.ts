import { BrokenCircuitError } from 'cockatiel'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { breakerClosed, createRedisBreaker } from './redis.ts'

const fail = () => Promise.reject(new Error('redis down'))
const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e instanceof BrokenCircuitError ? 'skipped' : 'failed'))

describe('the breaker in front of Redis', () => {
  afterEach(() => vi.useRealTimers())

  it('opens after three failures in a row, skips Redis while open, and closes after one good probe', async () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const b = createRedisBreaker({ failureThreshold: 3, cooldownMs: 1000 })
    let calls = 0
    const call = (ok: boolean) => outcome(b.execute(() => (calls++, ok ? Promise.resolve(1) : fail())))
    expect([await call(false), await call(false), await call(true), await call(false), await call(false)]).toEqual(['failed', 'failed', 'ok', 'failed', 'failed'])
    expect(breakerClosed(b)).toBe(true) // a success in between resets the count
    expect(await call(false)).toBe('failed')
    expect(breakerClosed(b)).toBe(false)
    const before = calls
    expect(await call(true)).toBe('skipped')
    expect(calls).toBe(before) // open: Redis is not asked at all
    vi.setSystemTime(1_000_000 + 2000)
    expect(await call(true)).toBe('ok') // the probe
    expect(breakerClosed(b)).toBe(true)
  })

  it('a failed probe opens it again', async () => {
    vi.useFakeTimers({ now: 5_000_000 })
    const b = createRedisBreaker({ failureThreshold: 1, cooldownMs: 1000 })
    expect(await outcome(b.execute(fail))).toBe('failed')
    vi.setSystemTime(5_000_000 + 1500)
    expect(await outcome(b.execute(fail))).toBe('failed')
    expect(await outcome(b.execute(() => Promise.resolve(1)))).toBe('skipped')
  })
})
