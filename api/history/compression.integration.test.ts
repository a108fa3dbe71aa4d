// Catalog answers and the OpenAPI document through the real gateway, br or gzip as the client
// accepts (raw node:http: fetch would decode them for us), and the cache keeping the compressed
// bytes so a hit compresses nothing.
import { describe, expect, it } from 'vitest'
import { request } from 'node:http'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { auth, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile, ingestStored, noRateLimits } from '../../test/support/gateway-file.ts'
import { makeFixtures } from '../../test/support/history-fixtures.ts'
import { createApp } from '../app.ts'
import { createCache, type Cache, type CacheEntry } from '../cache/cache.ts'
import { createLogger } from '../log.ts'
import { createRateLimiter } from '../ratelimit/ratelimit.ts'
import { loadCatalog } from './catalog.ts'
import { createHistoryRoutes } from './routes.ts'

const hour = 3600_000
const base = Math.floor(Date.now() / hour) * hour - 3 * hour
const path = `/api/v1/q/candles?symbol=BTC-USD&interval=1m&from=${new Date(base).toISOString()}&to=${new Date(base + 2 * hour).toISOString()}`
let admin: string

/** GET with exactly these headers; the body as sent on the wire. */
function raw(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    }).on('error', reject).end()
  })
}

const file = gatewayForFile(noRateLimits, async (gw) => {
  admin = await tokenFor(['admin'])
  await ingestStored(gw, { trades: makeFixtures(base).trades })
})

describe('compressed answers', () => {
  it('answers a catalog query in br, gzip or plain as accepted, the same JSON and CSV once decoded', async () => {
    const auth = { authorization: `Bearer ${admin}` }
    const plain = await raw(`${file.gw.url}${path}`, auth)
    expect(plain.status).toBe(200)
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.headers.vary).toBe('accept-encoding')
    expect((JSON.parse(plain.body.toString()) as { rows: unknown[] }).rows.length).toBeGreaterThan(50)
    const br = await raw(`${file.gw.url}${path}`, { ...auth, 'accept-encoding': 'gzip, deflate, br' })
    expect(br.headers['content-encoding']).toBe('br')
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true)
    expect(br.body.length).toBeLessThan(plain.body.length / 3)
    expect((await raw(`${file.gw.url}${path}`, { ...auth, 'accept-encoding': 'br' })).body.equals(br.body)).toBe(true)
    const csvPlain = await raw(`${file.gw.url}${path}&format=csv`, auth)
    const csvGzip = await raw(`${file.gw.url}${path}&format=csv`, { ...auth, 'accept-encoding': 'gzip' })
    expect(csvGzip.headers['content-encoding']).toBe('gzip')
    expect(csvGzip.headers['content-type']).toMatch(/^text\/csv/)
    expect(gunzipSync(csvGzip.body).equals(csvPlain.body)).toBe(true)
  })

  it('serves the OpenAPI document compressed', async () => {
    const plain = await raw(`${file.gw.url}/api/v1/openapi.json`, {})
    const br = await raw(`${file.gw.url}/api/v1/openapi.json`, { 'accept-encoding': 'br' })
    expect(br.headers['content-encoding']).toBe('br')
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true)
    expect(JSON.parse(plain.body.toString())).toHaveProperty('openapi')
  })

  it('keeps the compressed bytes in the cache entry, so a hit sends them without compressing again', async () => {
    const inner = createCache()
    const entries: CacheEntry[] = []
    const cache: Cache = { ...inner, breaker: inner.breaker, get: async (...args) => { const e = await inner.get(...args); entries.push(e); return e } }
    const app = createApp({
      log: createLogger('silent'), checks: [],
      routes: [createHistoryRoutes({ auth, catalog: loadCatalog(), clickhouse: file.gw.clickhouse('queries'), cache, limiter: createRateLimiter({}), limits: { perTokenPerS: 0, perIpPerS: 0 } })],
    })
    const get = async () => {
      const res = await app.request(path, { headers: { authorization: `Bearer ${admin}`, 'accept-encoding': 'br' } })
      return { res, body: new Uint8Array(await res.arrayBuffer()) }
    }
    const miss = await get()
    expect(miss.res.headers.get('x-cache')).toBe('MISS')
    expect(miss.res.headers.get('content-encoding')).toBe('br')
    const stored = entries[0].views.get('json.br')
    expect(stored && Buffer.from(stored).equals(Buffer.from(miss.body))).toBe(true)
    const hit = await get()
    expect(hit.res.headers.get('x-cache')).toBe('HIT')
    expect(entries[1].views.get('json.br')).toBe(stored) // the entry's bytes, not a new compression
    expect(Buffer.from(hit.body).equals(Buffer.from(miss.body))).toBe(true)
  })
})
