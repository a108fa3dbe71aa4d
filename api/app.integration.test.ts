import { Hono } from 'hono'
import { afterAll, describe, expect, it } from 'vitest'
import { getFreePort } from '../test/support/ports.ts'
import { createApp } from './app.ts'
import { createCache } from './cache/cache.ts'
import { createRedis } from './cache/redis.ts'
import type { AppEnv } from './http/middleware.ts'
import { createLogger, type Logger } from './log.ts'

const redisUrl = process.env.LIVEHOUSE_TEST_REDIS_URL
if (!redisUrl) throw new Error('LIVEHOUSE_TEST_REDIS_URL is required (npm test starts a Redis)')
const live = createRedis(redisUrl, { commandTimeoutMs: 30_000 }) // the reachable Redis must answer /ready even on a loaded machine
const clients = [live]
afterAll(() => clients.forEach((c) => c.disconnect()))

describe('/ready', () => {
  it('200 while every check passes, 503 naming the failing one (a Redis nobody listens on)', async () => {
    const up = createCache({ redis: live })
    if (live.status !== 'ready') await new Promise((r) => live.once('ready', r))
    const ok = createApp({ log: createLogger('silent'), checks: [{ name: 'redis', check: () => up.check() }], routes: [] })
    const r1 = await ok.request('/ready')
    expect([r1.status, await r1.json()]).toEqual([200, { status: 'ready', checks: { redis: { ok: true } } }])

    const dead = createRedis(`redis://127.0.0.1:${await getFreePort()}`)
    clients.push(dead)
    const down = createCache({ redis: dead })
    const app = createApp({
      log: createLogger('silent'),
      checks: [{ name: 'redis', check: () => down.check() }, { name: 'other', check: async () => ({ ok: true }) }, { name: 'throws', check: () => Promise.reject(new Error('no route')) }],
      routes: [],
    })
    const r2 = await app.request('/ready')
    const body = (await r2.json()) as { status: string; checks: Record<string, { ok: boolean; detail?: string }> }
    expect([r2.status, body.status]).toEqual([503, 'not_ready'])
    expect([body.checks.redis.ok, body.checks.other.ok, body.checks.throws]).toEqual([false, true, { ok: false, detail: 'no route' }])
  })
})

describe('errors', () => {
  it('a non-AppError is 500 INTERNAL with a generic message; the cause goes to the log only', async () => {
    const logged: Record<string, unknown>[] = []
    const log = { ...createLogger('silent'), error: (msg: string, fields?: Record<string, unknown>) => void logged.push({ msg, ...fields }) } as Logger
    const routes = new Hono<AppEnv>().get('/boom', () => {
      throw new Error('password=hunter2 at /srv/secret.ts:12')
    })
    const r = await createApp({ log, checks: [], routes: [routes] }).request('/boom', { headers: { 'x-request-id': 'req-1' } })
    const text = await r.text()
    expect(r.status).toBe(500)
    expect(JSON.parse(text).error.code).toBe('INTERNAL')
    expect(text).not.toMatch(/hunter2|secret|\.ts/)
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatchObject({ requestId: 'req-1', path: '/boom', code: 'INTERNAL' })
    expect(String((logged[0].cause as Error).message)).toContain('hunter2')
  })
})
