// Revocation stores: the data-dir file (embedded mode) and Redis (replicas), each checked
// for persistence, expiry and the onRevoked hook surfaces with open connections use.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { createFileRevocations, createRedisRevocations, type Revocations, type RevokedToken } from './revocations.ts'

const dirs: string[] = []
const opened: Revocations[] = []
afterAll(async () => {
  for (const r of opened) await r.close()
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }))
})
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'livehouse-revoked-'))
  dirs.push(d)
  return d
}

describe('revocations kept in the data dir', () => {
  it('survive a restart, tell listeners once, and are dropped once the token would have expired', async () => {
    const dir = fresh()
    let now = 1_000_000
    const a = createFileRevocations(dir, { now: () => now })
    const heard: RevokedToken[] = []
    const off = a.onRevoked((r) => heard.push(r))
    await a.revoke({ jti: 'j1', expiresAtMs: now + 60_000, by: 'root' })
    await a.revoke({ jti: 'j1', expiresAtMs: now + 60_000 })
    await a.revoke({ jti: 'j2', expiresAtMs: now + 1000 })
    expect([a.isRevoked('j1'), a.isRevoked('j2'), a.isRevoked('j3')]).toEqual([true, true, false])
    expect(heard.map((r) => r.jti)).toEqual(['j1', 'j2'])
    off()
    await a.revoke({ jti: 'j4', expiresAtMs: now + 60_000 })
    expect(heard.length).toBe(2)

    now += 5000 // j2's token has expired: nothing to remember
    const b = createFileRevocations(dir, { now: () => now })
    expect([b.isRevoked('j1'), b.isRevoked('j2'), b.isRevoked('j4')]).toEqual([true, false, true])
    expect(b.list().map((r) => [r.jti, r.by])).toEqual([['j1', 'root'], ['j4', undefined]])
    expect(readFileSync(join(dir, 'revoked-tokens.jsonl'), 'utf8').trim().split('\n').length).toBe(2) // compacted at start
  })

  it('keeps the lines it can read when one was cut by a crash', async () => {
    const dir = fresh()
    const a = createFileRevocations(dir)
    await a.revoke({ jti: 'ok', expiresAtMs: Date.now() + 60_000 })
    writeFileSync(join(dir, 'revoked-tokens.jsonl'), `${readFileSync(join(dir, 'revoked-tokens.jsonl'), 'utf8')}{"jti":"cut","expi`)
    expect(createFileRevocations(dir).isRevoked('ok')).toBe(true)
  })
})

describe('revocations in Redis, shared by replicas', { timeout: 300_000 }, () => {
  const url = process.env.LIVEHOUSE_TEST_REDIS_URL
  if (!url) throw new Error('LIVEHOUSE_TEST_REDIS_URL is required (npm test starts a Redis)')

  it('reach the other replica through pub/sub, and a replica started later reads them', async () => {
    const namespace = `test-revoked-${process.pid}-${Date.now()}`
    const one = await createRedisRevocations(url, { namespace })
    const two = await createRedisRevocations(url, { namespace })
    opened.push(one, two)
    const heard: string[] = []
    two.onRevoked((r) => heard.push(r.jti))
    await one.revoke({ jti: 'shared', expiresAtMs: Date.now() + 60_000, by: 'root' })
    expect(one.isRevoked('shared')).toBe(true) // the revoking replica at once
    await eventually(() => expect(heard).toEqual(['shared']))
    expect(two.isRevoked('shared')).toBe(true)
    const late = await createRedisRevocations(url, { namespace })
    opened.push(late)
    expect(late.isRevoked('shared')).toBe(true)
    const other = await createRedisRevocations(url, { namespace: `${namespace}-other` })
    opened.push(other)
    expect(other.isRevoked('shared')).toBe(false) // another environment on the same Redis
  })

  it('expire in Redis with the token', async () => {
    const namespace = `test-revoked-ttl-${process.pid}-${Date.now()}`
    const one = await createRedisRevocations(url, { namespace })
    opened.push(one)
    const redis = new Redis(url)
    try {
      await one.revoke({ jti: 'short', expiresAtMs: Date.now() + 1500 })
      expect(await redis.exists(`${namespace}:lh:revoked:short`)).toBe(1)
      await eventually(async () => expect(await redis.exists(`${namespace}:lh:revoked:short`)).toBe(0), { timeoutMs: 60_000, intervalMs: 200 })
    } finally {
      redis.disconnect()
    }
  })
})
