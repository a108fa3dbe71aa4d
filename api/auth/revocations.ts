import { appendFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { AppError } from '../../core/errors.ts'
import { replaceKeptFile } from '../kept-file.ts'

/** One revoked token, kept until the token would have expired anyway. */
export interface RevokedToken {
  jti: string
  expiresAtMs: number
  revokedAtMs: number
  /** `sub` of the admin who revoked it. */
  by?: string
}

/**
 * Revoked token ids. `isRevoked` answers from memory (every request asks it); `revoke` writes
 * to the shared store and tells `onRevoked` listeners at once, so a surface holding a
 * connection open (WebSocket, SSE) can end it within the same tick. With Redis, other
 * replicas learn it through a pub/sub message (and a full reload after each reconnect).
 */
export interface Revocations {
  isRevoked(jti: string): boolean
  revoke(r: { jti: string; expiresAtMs: number; by?: string }): Promise<RevokedToken>
  list(): RevokedToken[]
  /** Called once per newly revoked jti, whichever replica revoked it; returns the unsubscribe. */
  onRevoked(listener: (r: RevokedToken) => void): () => void
  close(): Promise<void>
}

/** Memory, listeners and expiry shared by both stores. */
function createRegistry(now: () => number) {
  const revoked = new Map<string, RevokedToken>()
  const listeners = new Set<(r: RevokedToken) => void>()
  return {
    revoked,
    /** Adds `r`; true (and listeners told) when it was not known yet. */
    add(r: RevokedToken): boolean {
      if (r.expiresAtMs <= now() || revoked.has(r.jti)) return false
      revoked.set(r.jti, r)
      for (const l of listeners) {
        try {
          l(r)
        } catch { /* a failing listener must not keep the others from hearing it */ }
      }
      return true
    },
    isRevoked(jti: string): boolean {
      const r = revoked.get(jti)
      if (!r) return false
      if (r.expiresAtMs > now()) return true
      revoked.delete(jti) // the token is expired anyway
      return false
    },
    list: () => [...revoked.values()].filter((r) => r.expiresAtMs > now()).sort((a, b) => a.revokedAtMs - b.revokedAtMs),
    onRevoked(l: (r: RevokedToken) => void) {
      listeners.add(l)
      return () => void listeners.delete(l)
    },
  }
}

const parseEntry = (line: string): RevokedToken | undefined => {
  try {
    const r = JSON.parse(line) as RevokedToken
    return typeof r.jti === 'string' && typeof r.expiresAtMs === 'number' && typeof r.revokedAtMs === 'number' ? r : undefined
  } catch {
    return undefined // a line cut by a crash: the rest still counts
  }
}

/** Embedded mode: one JSON line per revocation in DATA_DIR, rewritten without expired lines at start. */
export function createFileRevocations(dataDir: string, { now = Date.now } = {}): Revocations {
  const file = join(dataDir, 'revoked-tokens.jsonl')
  const reg = createRegistry(now)
  let text = ''
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  const lines = text.split('\n').filter(Boolean)
  for (const line of lines) {
    const r = parseEntry(line)
    if (r) reg.add(r)
  }
  if (lines.length > reg.revoked.size) {
    mkdirSync(dataDir, { recursive: true })
    replaceKeptFile(file, reg.list().map((r) => `${JSON.stringify(r)}\n`).join(''))
  }
  return {
    isRevoked: reg.isRevoked,
    async revoke({ jti, expiresAtMs, by }) {
      const r: RevokedToken = { jti, expiresAtMs, revokedAtMs: now(), ...(by ? { by } : {}) }
      if (reg.revoked.has(jti)) return reg.revoked.get(jti)!
      mkdirSync(dataDir, { recursive: true })
      appendFileSync(file, `${JSON.stringify(r)}\n`)
      reg.add(r)
      return r
    },
    list: reg.list,
    onRevoked: reg.onRevoked,
    async close() {},
  }
}

/** With REDIS_URL: a key per revoked jti (expiring with the token) and a pub/sub channel. */
export async function createRedisRevocations(url: string, { namespace = '', now = Date.now, onError = (_: Error) => {} } = {}): Promise<Revocations> {
  const prefix = `${namespace ? `${namespace}:` : ''}lh:revoked`
  const options = { maxRetriesPerRequest: 1, commandTimeout: 5000, connectTimeout: 2000, retryStrategy: (n: number) => Math.min(100 * n, 2000) }
  const redis = new Redis(url, options)
  const sub = new Redis(url, options)
  for (const r of [redis, sub]) r.on('error', onError)
  const reg = createRegistry(now)

  const reload = async () => {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      const values = keys.length ? await redis.mget(keys) : []
      for (const v of values) {
        const r = v ? parseEntry(v) : undefined
        if (r) reg.add(r)
      }
    } while (cursor !== '0')
  }
  sub.on('message', (_channel: string, message: string) => {
    const r = parseEntry(message)
    if (r) reg.add(r)
  })
  // After a reconnect, messages published meanwhile are lost: read every key again.
  sub.on('ready', () => void reload().catch(onError))
  // Queued until connected. A Redis that is down at start does not stop the gateway: the
  // reload on 'ready' catches up, and until then only this replica's revocations are known.
  void sub.subscribe(prefix).catch(onError)
  await reload().catch(onError)

  return {
    isRevoked: reg.isRevoked,
    async revoke({ jti, expiresAtMs, by }) {
      const r: RevokedToken = { jti, expiresAtMs, revokedAtMs: now(), ...(by ? { by } : {}) }
      const ttlMs = Math.max(1, Math.ceil(expiresAtMs - now()))
      try {
        await redis.set(`${prefix}:${jti}`, JSON.stringify(r), 'PX', ttlMs)
        await redis.publish(prefix, JSON.stringify(r))
      } catch (cause) {
        throw new AppError(503, 'REVOCATION_UNAVAILABLE', 'the revocation could not be stored; try again', { cause, retryAfterS: 1 })
      }
      reg.add(r) // this replica refuses it at once, whatever the pub/sub round trip takes
      return reg.revoked.get(jti) ?? r
    },
    list: reg.list,
    onRevoked: reg.onRevoked,
    async close() {
      sub.disconnect()
      redis.disconnect()
    },
  }
}
