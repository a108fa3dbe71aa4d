// Uncached catalog queries run at the same time (issue 16 item 3), shown by events: two slow
// catalog calls through the routes are both in system.processes at once. Bound parameters
// (chdb-node's process-wide chain) or one connection would run them one after the other.
import type { ClickHouseClient } from '@clickhouse/client'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { auth } from '../../test/support/gateway.ts'
import { createApp } from '../app.ts'
import { createCache } from '../cache/cache.ts'
import { createClickHouse } from '../clickhouse/client.ts'
import { createClientPool } from '../clickhouse/pool.ts'
import { createLogger } from '../log.ts'
import { createRateLimiter } from '../ratelimit/ratelimit.ts'
import { loadCatalog } from './catalog.ts'
import { createHistoryRoutes } from './routes.ts'

// About 2.9 s per call (sleepEachRow sleeps at most 3 s per block; numbers(15) is one block).
const slowQuery = `-- @description A slow query for this test.
-- @roles admin
-- @param tag String default=x : names the call
-- @cache bucket=60 open_ttl=1 closed_ttl=1
SELECT {tag:String} AS tag, sum(sleepEachRow(0.19)) AS slept FROM numbers(15)
`

let dir: string
let clients: ClickHouseClient[]
let watcher: ClickHouseClient

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lh-catalog-parallel-'))
  mkdirSync(join(dir, 'queries'))
  writeFileSync(join(dir, 'queries', 'slow_probe.sql'), slowQuery)
  clients = [0, 1].map(() => createClickHouse({ dataDir: join(dir, 'data') }, 'queries'))
  watcher = createClickHouse({ dataDir: join(dir, 'data') }, 'ops')
})

afterAll(async () => {
  await Promise.all([...(clients ?? []), watcher].map((c) => c?.close()))
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const running = async () => Number(await (await watcher.query({
  query: "SELECT count() FROM system.processes WHERE query LIKE '%sleepEachRow%' AND query NOT LIKE '%system.processes%'",
  format: 'TabSeparated',
})).text())

describe('uncached catalog queries on a pool of connections', () => {
  it('two slow catalog calls are in system.processes at the same time', async () => {
    const app = createApp({
      log: createLogger('silent'), checks: [],
      routes: [createHistoryRoutes({
        auth, catalog: loadCatalog(join(dir, 'queries')), clickhouse: createClientPool(clients), cache: createCache(),
        limiter: createRateLimiter({}), limits: { perTokenPerS: 0, perIpPerS: 0 },
      })],
    })
    const token = await auth.sign({ sub: 'parallel', roles: ['admin'] }, '1h')
    const call = async (tag: string) => {
      const r = await app.request(`/api/v1/q/slow_probe?tag=${tag}`, { headers: { authorization: `Bearer ${token}` } })
      return { status: r.status, rows: ((await r.json()) as { rows: { tag: string }[] }).rows }
    }
    const calls = Promise.all([call('first'), call('second')])
    let most = 0
    await eventually(async () => {
      most = Math.max(most, await running())
      expect(most).toBe(2)
    }, { timeoutMs: 30_000, intervalMs: 20 })
    const [first, second] = await calls
    expect(first).toMatchObject({ status: 200, rows: [{ tag: 'first' }] })
    expect(second).toMatchObject({ status: 200, rows: [{ tag: 'second' }] })
  }, 90_000)
})
