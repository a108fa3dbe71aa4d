import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import type { Principal } from '../../core/roles.ts'
import { createFileRevocations } from './revocations.ts'
import { createTokenWatch } from './token-watch.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
afterEach(() => vi.useRealTimers())
const store = () => {
  const d = mkdtempSync(join(tmpdir(), 'livehouse-watch-'))
  dirs.push(d)
  return createFileRevocations(d)
}
const principal = (jti: string | undefined, expiresAtMs?: number): Principal => ({ sub: 'u', roles: new Set(['trader']), symbols: '*', shops: '*', jti, expiresAtMs })

describe('token watch: the hook for connections that outlive their request', () => {
  it('ends every connection of a revoked token synchronously, inside revoke, and no other', async () => {
    const revocations = store()
    const w = createTokenWatch(revocations)
    const ended: string[] = []
    w.watch(principal('a', Date.now() + 60_000), (why) => ended.push(`a1 ${why}`))
    w.watch(principal('a', Date.now() + 60_000), (why) => ended.push(`a2 ${why}`))
    w.watch(principal('b', Date.now() + 60_000), (why) => ended.push(`b ${why}`))
    const revoking = revocations.revoke({ jti: 'a', expiresAtMs: Date.now() + 60_000 })
    expect(ended).toEqual(['a1 TOKEN_REVOKED', 'a2 TOKEN_REVOKED']) // before the promise settles: the same tick
    await revoking
    expect(w.size()).toBe(1)
    await revocations.revoke({ jti: 'a', expiresAtMs: Date.now() + 60_000 })
    expect(ended.length).toBe(2) // once each
  })

  it('ends a connection at its token\'s exp, once, and not after unwatch', () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const w = createTokenWatch(store())
    const ended: string[] = []
    w.watch(principal('x', 1_000_000 + 5000), (why) => ended.push(`x ${why}`))
    const unwatch = w.watch(principal('y', 1_000_000 + 5000), (why) => ended.push(`y ${why}`))
    vi.advanceTimersByTime(4999)
    expect(ended).toEqual([])
    unwatch()
    vi.advanceTimersByTime(1)
    expect(ended).toEqual(['x TOKEN_EXPIRED'])
    expect(w.size()).toBe(0)
  })

  it('re-arms for tokens valid longer than a timer can wait (24.8 days)', () => {
    vi.useFakeTimers({ now: 0 })
    const w = createTokenWatch(store())
    const ended: string[] = []
    const exp = 40 * 86_400_000
    w.watch(principal('long', exp), (why) => ended.push(why))
    vi.advanceTimersByTime(exp - 1)
    expect(ended).toEqual([])
    vi.advanceTimersByTime(1)
    expect(ended).toEqual(['TOKEN_EXPIRED'])
  })

  it('ends at once a token already expired or already revoked; a token without jti only expires', async () => {
    const revocations = store()
    await revocations.revoke({ jti: 'gone', expiresAtMs: Date.now() + 60_000 })
    const w = createTokenWatch(revocations)
    const ended: string[] = []
    w.watch(principal('gone', Date.now() + 60_000), (why) => ended.push(`gone ${why}`))
    w.watch(principal('old', Date.now() - 1), (why) => ended.push(`old ${why}`))
    w.watch(principal(undefined, Date.now() + 60_000), (why) => ended.push(`anon ${why}`))
    expect(ended).toEqual(['gone TOKEN_REVOKED', 'old TOKEN_EXPIRED'])
    expect(w.size()).toBe(1)
    w.close()
    await revocations.revoke({ jti: 'late', expiresAtMs: Date.now() + 60_000 })
  })
})
