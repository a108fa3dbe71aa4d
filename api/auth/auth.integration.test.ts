// Sign-in against the real gateway process: the embedded secret survives a restart, demo
// sign-in, `npm run token`, revocation on REST (data dir, and Redis across two replicas),
// and hostile tokens over HTTP that leave the process serving.
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { testSecret, tokenFor, type TestGateway } from '../../test/support/gateway.ts'
import { gatewayProcessesForFile } from '../../test/support/gateway-file.ts'
import { LiveClient } from '../../test/support/live-client.ts'
import { CloseCodes } from '../protocol/index.ts'

const root = resolve(import.meta.dirname, '../..')
const redisUrl = process.env.LIVEHOUSE_TEST_REDIS_URL
if (!redisUrl) throw new Error('LIVEHOUSE_TEST_REDIS_URL is required (npm test starts a Redis)')

const gateways = gatewayProcessesForFile()
const start = gateways.start

const get = (gw: TestGateway, path: string, token?: string, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } })
const errorCode = async (r: Response) => [r.status, ((await r.json()) as { error?: { code: string } }).error?.code]
const post = (gw: TestGateway, path: string, body: unknown, token?: string) =>
  fetch(`${gw.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } })
const postRaw = (gw: TestGateway, path: string, body: string, token?: string) =>
  fetch(`${gw.url}${path}`, { method: 'POST', body, headers: token ? { authorization: `Bearer ${token}` } : {} })
const mint = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/token.ts', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, AUTH_SECRET: '', ...env } })

describe('embedded mode: one secret in the data dir', { timeout: 300_000 }, () => {
  let gw: TestGateway
  beforeAll(async () => {
    gw = await start({ AUTH_SECRET: '' }) // embedded, no secret given: demo mode
  }, 300_000)

  it('offers demo sign-in per role, and its tokens and the printed ones survive a restart', async () => {
    expect(await (await get(gw, '/api/v1/auth/config')).json()).toEqual({ demo: true })
    const r = await post(gw, '/api/v1/auth/demo', { role: 'seller' })
    const { token } = (await r.json()) as { token: string }
    expect(r.status).toBe(200)
    const printed = /^\s+trader\s+(\S+)$/m.exec(gw.output())![1]
    expect(await (await get(gw, '/api/v1/auth/me', token)).json()).toMatchObject({ sub: 'demo-seller', roles: ['seller'], shops: ['*'] })
    expect(await errorCode(await post(gw, '/api/v1/auth/demo', { role: 'king' }))).toEqual([400, 'INVALID_PARAMETER'])

    const cli = mint({ DATA_DIR: gw.dataDir }, '--role', 'seller', '--shops', 'shop-1', '--ttl', '7d')
    expect([cli.status, cli.stderr]).toEqual([0, expect.stringContaining('shops=shop-1')])
    const minted = cli.stdout.trim()

    const again = await gw.restart()
    gateways.track(again)
    gw = again
    for (const [t, sub] of [[token, 'demo-seller'], [printed, 'demo-trader'], [minted, 'cli-seller']]) {
      const me = await get(gw, '/api/v1/auth/me', t)
      expect([sub, me.status]).toEqual([sub, 200])
      expect(((await me.json()) as { sub: string }).sub).toBe(sub)
    }
    const me = (await (await get(gw, '/api/v1/auth/me', minted)).json()) as { shops: string[]; expiresAt: string }
    expect(me.shops).toEqual(['shop-1'])
    expect(Date.parse(me.expiresAt) - Date.now()).toBeGreaterThan(6 * 86_400_000)
  })

  it('revokes a token by jti: refused at once on REST, and still after a restart', async () => {
    const admin = ((await (await post(gw, '/api/v1/auth/demo', { role: 'admin' })).json()) as { token: string }).token
    const victim = ((await (await post(gw, '/api/v1/auth/demo', { role: 'trader' })).json()) as { token: string }).token
    const { jti } = (await (await get(gw, '/api/v1/auth/me', victim)).json()) as { jti: string }
    expect((await get(gw, '/api/v1/q/symbol_stats', victim)).status).toBe(200) // verified and remembered
    expect(await errorCode(await post(gw, '/api/v1/auth/revoke', { jti }, victim))).toEqual([403, 'FORBIDDEN'])
    const revoked = await post(gw, '/api/v1/auth/revoke', { token: victim }, admin)
    expect([revoked.status, ((await revoked.json()) as { revoked: { jti: string; by: string } }).revoked]).toEqual([200, expect.objectContaining({ jti, by: 'demo-admin' })])
    expect(await errorCode(await get(gw, '/api/v1/q/symbol_stats', victim))).toEqual([401, 'TOKEN_REVOKED'])
    expect(await errorCode(await get(gw, '/api/v1/dashboards', victim))).toEqual([401, 'TOKEN_REVOKED'])
    expect((await get(gw, '/api/v1/q/symbol_stats', admin)).status).toBe(200)
    const list = (await (await get(gw, '/api/v1/auth/revoked', admin)).json()) as { revoked: { jti: string }[] }
    expect(list.revoked.map((r) => r.jti)).toContain(jti)
    expect(await errorCode(await post(gw, '/api/v1/auth/revoke', { jti: 'x', extra: 1 }, admin))).toEqual([400, 'INVALID_PARAMETER'])
    expect(await errorCode(await post(gw, '/api/v1/auth/revoke', { token: 'not-a-token' }, admin))).toEqual([400, 'INVALID_PARAMETER'])
    expect(await errorCode(await postRaw(gw, '/api/v1/auth/revoke', '{"jti":', admin))).toEqual([400, 'MALFORMED_JSON'])
    expect(await errorCode(await postRaw(gw, '/api/v1/auth/revoke', JSON.stringify({ token: 'x'.repeat(10 * 1024 * 1024) }), admin))).toEqual([413, 'BODY_TOO_LARGE'])
    expect(await errorCode(await postRaw(gw, '/api/v1/auth/demo', '{"role":'))).toEqual([400, 'MALFORMED_JSON'])
    expect(await errorCode(await postRaw(gw, '/api/v1/auth/demo', JSON.stringify({ role: 'x'.repeat(2000) })))).toEqual([413, 'BODY_TOO_LARGE'])
    for (const body of ['[]', 'null', '{"role": 7}']) expect(await errorCode(await postRaw(gw, '/api/v1/auth/demo', body)), body).toEqual([400, 'INVALID_PARAMETER'])

    const again = await gw.restart()
    gateways.track(again)
    gw = again
    expect(await errorCode(await get(gw, '/api/v1/auth/me', victim))).toEqual([401, 'TOKEN_REVOKED'])
  })

  it('hostile tokens over HTTP are refused with their codes and the process keeps serving', async () => {
    const good = ((await (await post(gw, '/api/v1/auth/demo', { role: 'trader' })).json()) as { token: string }).token
    const [h, p] = good.split('.')
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`
    expect(await errorCode(await get(gw, '/api/v1/auth/me', none))).toEqual([401, 'INVALID_TOKEN'])
    expect(await errorCode(await get(gw, '/api/v1/auth/me', `${h}.${p}.AAAA`))).toEqual([401, 'INVALID_TOKEN'])
    expect(await errorCode(await get(gw, '/api/v1/auth/me', 'x'.repeat(20_000)))).toEqual([401, 'TOKEN_TOO_LARGE'])
    // 1 MB in the Authorization header: refused (by the transport or the verifier), never a crash.
    const huge = await get(gw, '/api/v1/auth/me', `${h}.${'A'.repeat(1024 * 1024)}.x`).then((r) => r.status, () => 'connection closed')
    expect([401, 413, 431, 400, 'connection closed']).toContain(huge)
    expect((await get(gw, '/health')).status).toBe(200)
    expect((await get(gw, '/api/v1/auth/me', good)).status).toBe(200)
  })
})

describe('with AUTH_SECRET set', { timeout: 300_000 }, () => {
  it('offers no demo sign-in, and `npm run token` signs with that secret', async () => {
    const gw = await start({})
    expect(await (await get(gw, '/api/v1/auth/config')).json()).toEqual({ demo: false })
    expect(await errorCode(await post(gw, '/api/v1/auth/demo', { role: 'admin' }))).toEqual([404, 'NOT_FOUND'])
    expect(await errorCode(await postRaw(gw, '/api/v1/auth/demo', '{nope'))).toEqual([404, 'NOT_FOUND']) // off before its body is read
    expect(gw.output()).not.toMatch(/Demo tokens/)
    const cli = mint({ AUTH_SECRET: testSecret }, '--role', 'trader', '--symbols', 'BTC-USD', '--sub', 'bot-1')
    expect(cli.status).toBe(0)
    expect(await (await get(gw, '/api/v1/auth/me', cli.stdout.trim())).json()).toMatchObject({ sub: 'bot-1', roles: ['trader'], symbols: ['BTC-USD'], shops: [] })
    const wrong = mint({ AUTH_SECRET: 'another-secret-which-is-long-enough-for-hs256' }, '--role', 'trader')
    expect(await errorCode(await get(gw, '/api/v1/auth/me', wrong.stdout.trim()))).toEqual([401, 'INVALID_TOKEN'])
    expect(mint({ DATA_DIR: '/nonexistent-livehouse' }, '--role', 'trader')).toMatchObject({ status: 2, stderr: expect.stringContaining('no secret to sign with') })
  })
})

describe('replicas sharing Redis', { timeout: 300_000 }, () => {
  it('a token revoked on one replica is refused by the other, and its WebSocket there is closed', async () => {
    const namespace = `test-auth-${process.pid}-${Date.now()}`
    const env = { REDIS_URL: redisUrl!, CACHE_NAMESPACE: namespace }
    const [a, b] = await Promise.all([start(env), start(env)])
    const admin = await tokenFor(['admin'])
    const victim = await tokenFor(['trader'])
    expect((await get(b, '/api/v1/auth/me', victim)).status).toBe(200)
    const socket = await LiveClient.connect(b.url, { token: victim })
    const closed = new Promise<number>((resolve) => socket.ws.once('close', (code: number) => resolve(code)))
    expect((await post(a, '/api/v1/auth/revoke', { token: victim }, admin)).status).toBe(200)
    // Closed by replica b when the pub/sub message arrives (api/auth/token-watch.ts).
    expect(await closed).toBe(CloseCodes.TOKEN_REVOKED)
    expect(await errorCode(await get(a, '/api/v1/auth/me', victim))).toEqual([401, 'TOKEN_REVOKED'])
    // The other replica hears it through pub/sub, a round trip later.
    await eventually(async () => expect(await errorCode(await get(b, '/api/v1/auth/me', victim))).toEqual([401, 'TOKEN_REVOKED']))
    const c = await start(env) // a replica started afterwards reads it from Redis
    expect(await errorCode(await get(c, '/api/v1/auth/me', victim))).toEqual([401, 'TOKEN_REVOKED'])
  })
})
