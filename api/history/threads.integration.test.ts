// Catalog queries run with max_threads = the cores shared by the pool's connections (issue 16
// item 3: fewer thread hand-offs per query, bench/results/2026-12-05-catalog-cost.md). Shown by
// the engine: a catalog query through the routes reads its own max_threads on a real chDB
// session, which stays read-only.
import type { ClickHouseClient } from '@clickhouse/client'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auth } from '../../test/support/gateway.ts'
import { createApp } from '../app.ts'
import { createCache } from '../cache/cache.ts'
import { createClickHouse } from '../clickhouse/client.ts'
import { createLogger } from '../log.ts'
import { createRateLimiter } from '../ratelimit/ratelimit.ts'
import { loadCatalog } from './catalog.ts'
import { catalogThreads } from './execute.ts'
import { createHistoryRoutes } from './routes.ts'

const probe = `-- @description The catalog session's max_threads and readonly.
-- @roles admin
-- @param tag String default=x : a distinct call
-- @cache bucket=60 open_ttl=1 closed_ttl=1
SELECT {tag:String} AS tag, toString(getSetting('max_threads')) AS max_threads, toString(getSetting('readonly')) AS readonly
`

let dir: string
let clients: ClickHouseClient[] = []

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lh-catalog-threads-'))
  mkdirSync(join(dir, 'queries'))
  writeFileSync(join(dir, 'queries', 'threads_probe.sql'), probe)
})

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function threadsOf(queryThreads: number | undefined): Promise<{ max_threads: string; readonly: string }> {
  const client = createClickHouse({ dataDir: join(dir, 'data') }, 'queries')
  clients.push(client)
  const app = createApp({
    log: createLogger('silent'), checks: [],
    routes: [createHistoryRoutes({
      auth, catalog: loadCatalog(join(dir, 'queries')), clickhouse: client, cache: createCache(),
      limiter: createRateLimiter({}), limits: { perTokenPerS: 0, perIpPerS: 0 }, queryThreads,
    })],
  })
  const token = await auth.sign({ sub: 'threads', roles: ['admin'] }, '1h')
  const r = await app.request(`/api/v1/q/threads_probe?tag=${queryThreads}`, { headers: { authorization: `Bearer ${token}` } })
  expect(r.status).toBe(200)
  return ((await r.json()) as { rows: { max_threads: string; readonly: string }[] }).rows[0]
}

describe('catalog query threads', () => {
  it('cores ÷ connections, at least one', () => {
    expect(catalogThreads(2, 4)).toBe(1)
    expect(catalogThreads(2, 1)).toBe(2)
    expect(catalogThreads(16, 4)).toBe(4)
    expect(catalogThreads(7, 2)).toBe(3)
    expect(catalogThreads(1, 16)).toBe(1)
  })

  it('a catalog query runs with the routes\' max_threads on a read-only session', async () => {
    expect(await threadsOf(1)).toMatchObject({ max_threads: '1', readonly: '1' })
    expect(await threadsOf(3)).toMatchObject({ max_threads: '3', readonly: '1' })
  }, 60_000)

  it('unset (a ClickHouse server), the engine\'s default', async () => {
    const plain = createClickHouse({ dataDir: join(dir, 'data') }, 'ops')
    clients.push(plain)
    const [{ d }] = await (await plain.query({ query: "SELECT toString(getSetting('max_threads')) AS d", format: 'JSONEachRow' })).json<{ d: string }>()
    expect(await threadsOf(undefined)).toMatchObject({ max_threads: d, readonly: '1' })
  }, 60_000)
})
