/**
 * A circuit breaker for an optional dependency (Redis): after `failureThreshold`
 * consecutive failures it opens for `cooldownMs`, then lets one probe through
 * (half-open); a success closes it. Callers skip the dependency while it is open.
 */
export interface Breaker {
  allow(): boolean
  success(): void
  failure(): void
  readonly state: 'closed' | 'open' | 'half_open'
}

export function createBreaker({ failureThreshold = 3, cooldownMs = 1000, now = Date.now } = {}): Breaker {
  let failures = 0
  let openedAt = 0
  let state: Breaker['state'] = 'closed'
  let probing = false
  return {
    get state() {
      return state
    },
    allow() {
      if (state === 'closed') return true
      if (state === 'open' && now() - openedAt >= cooldownMs) state = 'half_open'
      if (state === 'half_open' && !probing) return (probing = true)
      return false
    },
    success() {
      failures = 0
      probing = false
      state = 'closed'
    },
    failure() {
      failures++
      probing = false
      if (state === 'half_open' || failures >= failureThreshold) {
        state = 'open'
        openedAt = now()
      }
    },
  }
}
