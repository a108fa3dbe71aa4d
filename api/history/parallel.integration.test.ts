// Uncached catalog queries run at the same time (issue 16 item 3), shown by the kernel rather
// than by timing: each of two catalog calls through the routes reads a table over its own named
// pipe, which holds its query open until the test writes to it. The test writes only once both
// pipes have a reader, that is once both queries are executing at once. Bound parameters
// (chdb-node's process-wide chain) or one connection would run them one after the other: the
// second pipe would get no reader while the first query waits on its own.
import type { ClickHouseClient } from '@clickhouse/client'
import { execFileSync } from 'node:child_process'
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { open } from 'node:fs/promises'
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

const calls = ['first', 'second'] as const
/** A catalog query (with a parameter, as bound ones would chain) reading one held table. */
const heldQuery = (call: string) => `-- @description Reads held_${call}, which the test holds open.
-- @roles admin
-- @param tag String default=x : names the call
-- @cache bucket=60 open_ttl=1 closed_ttl=1
SELECT {tag:String} AS tag, any(line) AS line FROM held_${call}
`

let dir: string
let clients: ClickHouseClient[]
const pipe = (call: string) => join(dir, `held-${call}.pipe`)

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lh-catalog-parallel-'))
  mkdirSync(join(dir, 'queries'))
  const owner = createClickHouse({ dataDir: join(dir, 'data') }, 'migrations')
  for (const call of calls) {
    writeFileSync(join(dir, 'queries', `read_${call}.sql`), heldQuery(call))
    execFileSync('mkfifo', [pipe(call)])
    await owner.command({ query: `CREATE TABLE held_${call} (line String) ENGINE = File(TSV, '${pipe(call)}')` })
  }
  await owner.close()
  clients = [0, 1].map(() => createClickHouse({ dataDir: join(dir, 'data') }, 'queries'))
})

afterAll(async () => {
  await Promise.all((clients ?? []).map((c) => c.close()))
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** A pipe's write end, opened without waiting: only possible (no ENXIO) while a query has it open to read. */
const writerOf = (call: string) => openSync(pipe(call), constants.O_WRONLY | constants.O_NONBLOCK)

/** Lets a held query finish: one line, then end of file. A pipe nobody reads yet is written once a query opens it. */
async function release(call: string, writer: number | undefined) {
  if (writer === undefined) {
    const late = await open(pipe(call), 'w')
    await late.write('released\n')
    return late.close()
  }
  writeSync(writer, 'released\n')
  closeSync(writer)
}

describe('uncached catalog queries on a pool of connections', () => {
  it('two catalog calls are executing at once: each holds a pipe open for reading at the same time', async () => {
    const app = createApp({
      log: createLogger('silent'), checks: [],
      routes: [createHistoryRoutes({
        auth, catalog: loadCatalog(join(dir, 'queries')), clickhouse: createClientPool(clients), cache: createCache(),
        limiter: createRateLimiter({}), limits: { perTokenPerS: 0, perIpPerS: 0 },
      })],
    })
    const token = await auth.sign({ sub: 'parallel', roles: ['admin'] }, '1h')
    const call = async (tag: (typeof calls)[number]) => {
      const r = await app.request(`/api/v1/q/read_${tag}?tag=${tag}`, { headers: { authorization: `Bearer ${token}` } })
      return { status: r.status, rows: ((await r.json()) as { rows: { tag: string; line: string }[] }).rows }
    }
    const answers = Promise.all(calls.map(call))
    const writers = new Map<string, number>()
    let reading: string[] = []
    try {
      // No time limit on the overlap itself: both readers must be there at one instant, however slow the host.
      await eventually(() => {
        for (const c of calls) if (!writers.has(c)) writers.set(c, writerOf(c))
      }, { timeoutMs: 60_000, intervalMs: 20 }).catch(() => {})
      reading = [...writers.keys()].sort()
    } finally {
      await Promise.all(calls.map((c) => release(c, writers.get(c))))
    }
    expect(reading, 'catalog calls whose queries were reading while the other one was').toEqual([...calls])
    const [first, second] = await answers
    expect(first).toMatchObject({ status: 200, rows: [{ tag: 'first', line: 'released' }] })
    expect(second).toMatchObject({ status: 200, rows: [{ tag: 'second', line: 'released' }] })
  }, 180_000)
})
