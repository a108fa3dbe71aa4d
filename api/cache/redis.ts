import { circuitBreaker, CircuitState, ConsecutiveBreaker, handleAll, type CircuitBreakerPolicy } from 'cockatiel'
import { Redis } from 'ioredis'

/**
 * The Redis connection for cache and rate limits. Commands fail fast while it is
 * disconnected (no offline queue, no retries per request) so a dead Redis costs a
 * request nothing; ioredis keeps reconnecting in the background.
 */
export function createRedis(url: string, { commandTimeoutMs = 100 } = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 1000,
    retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
  })
  redis.on('error', () => {}) // reported through the breaker and /ready, not as unhandled events
  return redis
}

/** Prefix of every Redis key this gateway writes (`CACHE_NAMESPACE`), so environments sharing one Redis stay apart. */
export const redisKeyPrefix = (namespace: string | undefined) => (namespace ? `${namespace}:` : '')

/**
 * The circuit breaker in front of Redis (cockatiel): 3 consecutive failures open it for
 * 1 s, then one probe goes through; while open, `execute` throws at once and callers go on
 * without Redis (uncached answer, in-process rate limits).
 */
export function createRedisBreaker({ failureThreshold = 3, cooldownMs = 1000 } = {}): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, { halfOpenAfter: cooldownMs, breaker: new ConsecutiveBreaker(failureThreshold) })
}

/** Whether the breaker lets calls to Redis through (for /metrics and /ready). */
export const breakerClosed = (b: CircuitBreakerPolicy) => b.state === CircuitState.Closed
