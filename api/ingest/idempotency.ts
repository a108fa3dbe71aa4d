// Idempotency-Key on POST /v1/events/{stream}: a retry with the same key within 24 h gets the
// first answer and stores nothing new (docs/events.md). The answers live in Redis when REDIS_URL
// is set (shared by replicas), else in ClickHouse (clickhouse/schema/033_*.sql); both survive a
// restart. The rows themselves are stored once by key further down (ingest/ingest-keys.ts), so
// an attempt that died half-way is completed by its retry, never doubled.
import type { ClickHouseClient } from '@clickhouse/client'
import { Redis } from 'ioredis'
import { randomUUID } from 'node:crypto'

/** How long a first answer is replayed. */
export const idempotencyTtlS = 24 * 3600
/** A claim not renewed within this is free again (its process died); renewed every third of it. */
const leaseMs = 30_000

export type Claim =
  | { kind: 'new'; finish(answer: string): Promise<void>; release(): Promise<void> }
  | { kind: 'done'; answer: string }
  | { kind: 'busy' }
  | { kind: 'mismatch' }

export interface IdempotencyStore {
  /** Claims `scope` (a hash of caller, stream and key) for a request whose body hashes to `fingerprint`. */
  begin(scope: string, fingerprint: string): Promise<Claim>
  close(): Promise<void>
}

/** Requests in flight in this process: a second one with the same key waits its turn (409) instead of racing. */
function localClaims() {
  const inFlight = new Set<string>()
  return {
    take: (scope: string) => (inFlight.has(scope) ? false : (inFlight.add(scope), true)),
    drop: (scope: string) => void inFlight.delete(scope),
  }
}

/** Scopes and fingerprints are hex hashes: checked, then inlined into SQL. */
const hexRe = /^[0-9a-f]{16,64}$/

/** Without Redis: answers in ClickHouse, claims in this process (one process owns an embedded data directory). */
export function createClickHouseIdempotencyStore(ch: ClickHouseClient): IdempotencyStore {
  const claims = localClaims()
  return {
    async begin(scope, fingerprint) {
      if (!hexRe.test(scope) || !hexRe.test(fingerprint)) throw new Error('idempotency scope and fingerprint must be hex hashes')
      if (!claims.take(scope)) return { kind: 'busy' }
      try {
        const rs = await ch.query({
          query: `SELECT fingerprint, answer FROM idempotency_keys WHERE scope = '${scope}' AND stored_at > now64(3) - INTERVAL ${idempotencyTtlS} SECOND ORDER BY stored_at LIMIT 1`,
          format: 'JSONEachRow',
        })
        const [first] = await rs.json<{ fingerprint: string; answer: string }>()
        if (first) {
          claims.drop(scope)
          return first.fingerprint === fingerprint ? { kind: 'done', answer: first.answer } : { kind: 'mismatch' }
        }
      } catch (e) {
        claims.drop(scope)
        throw e
      }
      return {
        kind: 'new',
        async finish(answer) {
          try {
            await ch.insert({ table: 'idempotency_keys', values: [{ scope, fingerprint, answer }], format: 'JSONEachRow' })
          } finally {
            claims.drop(scope)
          }
        },
        release: async () => claims.drop(scope),
      }
    },
    close: async () => {},
  }
}

interface Stored {
  state: 'pending' | 'done'
  fingerprint: string
  owner?: string
  answer?: string
}

// Delete or extend a claim only while it is still ours (a value compare, atomically).
const releaseLua = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
const renewLua = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"

/**
 * With Redis: one key per scope, shared by every replica. A claim is `SET NX` with a lease the
 * owner renews; a replica that died leaves it to expire, then a retry may take it.
 */
export function createRedisIdempotencyStore(url: string, prefix: string): IdempotencyStore {
  // Unlike the cache's connection, commands wait (up to 1 s) for a connection instead of failing
  // at once: right after start-up an answer would otherwise go unstored.
  const redis = new Redis(url, { enableOfflineQueue: true, maxRetriesPerRequest: 1, commandTimeout: 1000, connectTimeout: 1000 })
  redis.on('error', () => {}) // a failed command degrades the request (routes.ts); the connection retries by itself
  const claims = localClaims()
  const keyOf = (scope: string) => `${prefix}livehouse:idem:${scope}`
  async function begin(scope: string, fingerprint: string): Promise<Claim> {
    if (!claims.take(scope)) return { kind: 'busy' }
    const key = keyOf(scope)
    const pending = JSON.stringify({ state: 'pending', fingerprint, owner: randomUUID() } satisfies Stored)
    try {
      const taken = await redis.set(key, pending, 'PX', leaseMs, 'NX')
      if (taken !== 'OK') {
        claims.drop(scope)
        const raw = await redis.get(key)
        if (raw === null) return begin(scope, fingerprint) // it expired meanwhile
        const stored = JSON.parse(raw) as Stored
        if (stored.fingerprint !== fingerprint) return { kind: 'mismatch' }
        return stored.state === 'done' ? { kind: 'done', answer: stored.answer! } : { kind: 'busy' }
      }
    } catch (e) {
      claims.drop(scope)
      throw e
    }
    const renew = setInterval(() => void redis.eval(renewLua, 1, key, pending, String(leaseMs)).catch(() => {}), leaseMs / 3)
    renew.unref()
    const end = () => (clearInterval(renew), claims.drop(scope))
    return {
      kind: 'new',
      async finish(answer) {
        try {
          await redis.set(key, JSON.stringify({ state: 'done', fingerprint, answer } satisfies Stored), 'EX', idempotencyTtlS)
        } finally {
          end()
        }
      },
      async release() {
        end()
        await redis.eval(releaseLua, 1, key, pending).catch(() => {})
      },
    }
  }
  return { begin, close: async () => void redis.disconnect() }
}
