import type { Principal } from '../../core/roles.ts'
import type { Revocations } from './revocations.ts'

export type TokenEnd = 'TOKEN_EXPIRED' | 'TOKEN_REVOKED'

/**
 * For surfaces that hold a connection open past the request that authenticated it (the
 * live WebSocket, the alerts SSE stream): `watch` calls `end` once, when the token reaches
 * its `exp` or its `jti` is revoked (on any replica), whichever comes first. A revocation
 * ends every connection of that token synchronously, inside `revoke` or the pub/sub
 * message: within the same tick. Close codes: api/access.ts `tokenCloseCodes`.
 */
export interface TokenWatch {
  /** Returns the unwatch (call it when the connection closes for any other reason). */
  watch(p: Principal, end: (why: TokenEnd) => void): () => void
  /** Connections watched now (for tests and metrics). */
  size(): number
  close(): void
}

/** setTimeout holds at most 2^31-1 ms (24.8 days); longer tokens are re-armed on the way. */
const maxTimerMs = 2 ** 31 - 1

export function createTokenWatch(revocations: Pick<Revocations, 'onRevoked' | 'isRevoked'>, { now = Date.now } = {}): TokenWatch {
  // One revocation listener for all connections, indexed by jti: a revocation costs a lookup, not a call per connection.
  const byJti = new Map<string, Set<() => void>>()
  let count = 0
  const off = revocations.onRevoked((r) => {
    const ends = byJti.get(r.jti)
    if (!ends) return
    for (const e of [...ends]) e()
  })

  return {
    watch(p, end) {
      let done = false
      let timer: NodeJS.Timeout | undefined
      const revoked = () => finish('TOKEN_REVOKED')
      const unwatch = () => {
        if (done) return
        done = true
        count--
        clearTimeout(timer)
        if (p.jti === undefined) return
        const set = byJti.get(p.jti)
        set?.delete(revoked)
        if (set?.size === 0) byJti.delete(p.jti)
      }
      function finish(why: TokenEnd) {
        if (done) return
        unwatch()
        end(why)
      }
      const arm = () => {
        const left = (p.expiresAtMs ?? Infinity) - now()
        if (left <= 0) return finish('TOKEN_EXPIRED')
        if (Number.isFinite(left)) {
          timer = setTimeout(() => (left > maxTimerMs ? arm() : finish('TOKEN_EXPIRED')), Math.min(left, maxTimerMs))
          timer.unref()
        }
      }
      count++
      if (p.jti !== undefined) {
        if (revocations.isRevoked(p.jti)) {
          finish('TOKEN_REVOKED')
          return unwatch
        }
        let set = byJti.get(p.jti)
        if (!set) byJti.set(p.jti, (set = new Set()))
        set.add(revoked)
      }
      arm()
      return unwatch
    },
    size: () => count,
    close() {
      off()
      byJti.clear()
    },
  }
}
