// Idempotency-Key against the real engine, a real restart and a real Redis shared by two gateways (issue 17, item 2).
import { afterAll, describe, expect, it } from 'vitest'
import { createClient } from '@clickhouse/client'
import { ingest, removeDir, startGateway, tokenFor, type TestGateway } from '../../test/support/gateway.ts'
import { getFreePort } from '../../test/support/ports.ts'

const redisUrl = process.env.LIVEHOUSE_TEST_REDIS_URL
if (!redisUrl) throw new Error('LIVEHOUSE_TEST_REDIS_URL must be set (run through npm test)')

const gateways: TestGateway[] = []
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()))
  for (const dir of new Set(gateways.map((g) => g.dataDir))) removeDir(dir)
})

async function start(env: Record<string, string> = {}, dataDir?: string) {
  const sqlPort = await getFreePort()
  const gw = await startGateway({ SQL_PORT: String(sqlPort), HOST: '127.0.0.1', ...env }, dataDir)
  gateways.push(gw)
  const sql = createClient({ url: `http://127.0.0.1:${sqlPort}`, password: await tokenFor(['analyst']) })
  const count = async (symbol: string) => {
    const rs = await sql.query({ query: 'SELECT count() AS n FROM trades WHERE symbol = {s:String}', query_params: { s: symbol }, format: 'JSONEachRow' })
    return Number((await rs.json<{ n: string }>())[0].n)
  }
  return { gw, count, close: () => sql.close() }
}

const trades = (symbol: string, n: number) => Array.from({ length: n }, (_, i) => ({ ts: Date.now() - 1000 + i, symbol, price: 1, qty: 1, side: 'buy' }))
const post = (gw: { url: string }, lines: object[], key: string) => ingest(gw, 'trades', lines, { headers: { 'idempotency-key': key } })

describe('Idempotency-Key on POST /v1/events/{stream}', () => {
  it('replays the first answer and stores nothing new, also after a restart (kill -9 included)', async () => {
    const a = await start()
    const body = [...trades('IDEM', 3), { symbol: 'IDEM' }] // generated ids: a second store would be visible
    const first = await post(a.gw, body, 'order-42')
    const firstAnswer = await first.json()
    expect(firstAnswer).toMatchObject({ accepted: 3, rejected: 1 })
    const again = await post(a.gw, body, 'order-42')
    expect([again.status, again.headers.get('idempotent-replayed'), await again.json()]).toEqual([200, 'true', firstAnswer])
    expect(await a.count('IDEM')).toBe(3)
    // A different key is a different request.
    expect(await (await post(a.gw, body, 'order-43')).json()).toMatchObject({ accepted: 3 })
    expect(await a.count('IDEM')).toBe(6)
    await a.close()

    await a.gw.stop(true)
    const b = await start({}, a.gw.dataDir)
    const afterKill = await post(b.gw, body, 'order-42')
    expect([afterKill.headers.get('idempotent-replayed'), await afterKill.json()]).toEqual(['true', firstAnswer])
    expect(await b.count('IDEM')).toBe(6)
    await b.close()
  }, 600_000) // two gateway processes started in the test: each may take startGateway's 180 s on a loaded machine

  it('is shared by replicas through Redis: the second gateway replays what the first answered', async () => {
    const env = { REDIS_URL: redisUrl!, CACHE_NAMESPACE: `idem${Date.now().toString(36)}` }
    const [a, b] = await Promise.all([start(env), start(env)])
    const body = trades('REPL', 2)
    const first = await (await post(a.gw, body, 'shared-1')).json()
    const fromB = await post(b.gw, body, 'shared-1')
    expect([fromB.headers.get('idempotent-replayed'), await fromB.json()]).toEqual(['true', first])
    // Each gateway here has its own embedded engine: B stored nothing.
    expect([await a.count('REPL'), await b.count('REPL')]).toEqual([2, 0])
    const reused = await post(b.gw, trades('REPL', 1), 'shared-1')
    expect(reused.status).toBe(422)
    await Promise.all([a.close(), b.close()])
  }, 600_000) // two gateway processes started in the test: each may take startGateway's 180 s on a loaded machine
})
