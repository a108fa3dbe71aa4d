import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'

/**
 * One client per workload (docs/architecture.md, ClickHouse connections): chDB keeps per-query settings
 * on the connection's session, so a read-only query would make a shared connection
 * read-only for ingestion too. Each workload gets its own connection and session.
 */
export type Workload = 'migrations' | 'ingest' | 'queries' | 'live' | 'analyst' | 'ops'

export interface ClickHouseTarget {
  /** Unset: embedded chDB under `dataDir`. */
  url?: string
  user?: string
  password?: string
  dataDir: string
}

/** Opens a `@clickhouse/client` for one workload; nothing above this knows which engine answers. */
export function createClickHouse(target: ClickHouseTarget, workload: Workload): ClickHouseClient {
  if (target.url) {
    return createClient({
      url: target.url,
      username: target.user,
      password: target.password,
      application: `livehouse-${workload}`,
      request_timeout: 60_000,
    })
  }
  const path = resolve(target.dataDir)
  mkdirSync(path, { recursive: true })
  // chdb ships its own copy of @clickhouse/client-common's types; the runtime contract is the same.
  const connection = createChdbConnection({ path }) as unknown as Connection
  return createClient({ connection: oneAtATime(connection) })
}

type Connection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

/**
 * chDB (libchdb 26.7) keeps the partial output of a statement that fails mid-result (say,
 * over max_result_rows) on its session and puts it in front of the next statement's
 * result on that connection: another analyst's rows, or a catalog response that no
 * longer parses. So every statement on a connection runs through one queue (chDB runs
 * one at a time per connection anyway), and after a failure throwaway SELECTs absorb
 * the leftover before the next statement runs.
 */
export function oneAtATime(connection: Connection): Connection {
  let tail: Promise<unknown> = Promise.resolve()
  const run = <T>(statement: () => Promise<T>): Promise<T> => {
    const result = tail.then(statement)
    tail = result.then(() => undefined, () => absorbLeftover(connection))
    return result
  }
  return {
    ping: (params) => run(() => connection.ping(params)),
    query: (params) => run(() => connection.query(params)),
    insert: (params) => run(() => connection.insert(params)),
    command: (params) => run(() => connection.command(params)),
    exec: (params) => run(() => connection.exec(params)),
    close: () => run(() => connection.close()),
  }
}

async function absorbLeftover(connection: Connection) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const { stream } = await connection.query({ query: 'SELECT 1 FORMAT TabSeparated' })
      let text = ''
      for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk
      if (text === '1\n') return
    } catch {
      // A closed connection or a failing engine: nothing left to protect.
      return
    }
  }
}
