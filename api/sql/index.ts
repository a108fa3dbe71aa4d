import { resolve } from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import type { Auth } from '../auth.ts'
import type { Config } from '../config.ts'
import type { Logger } from '../log.ts'
import { createEmbeddedEngine, type SqlEngine } from './engine.ts'
import { createServerEngine } from './engine-server.ts'
import { createSqlServer } from './server.ts'
import type { SqlCaps } from './settings.ts'

export type SqlPortConfig = Pick<Config, 'DATA_DIR' | 'CLICKHOUSE_URL' | 'CLICKHOUSE_ANALYST_USER' | 'CLICKHOUSE_ANALYST_PASSWORD' | 'CLICKHOUSE_ANALYST_SCOPED_USER' | 'CLICKHOUSE_ANALYST_SCOPED_PASSWORD' | 'SQL_MAX_EXECUTION_S' | 'SQL_MAX_MEMORY_BYTES' | 'SQL_MAX_RESULT_ROWS' | 'SQL_MAX_RESULT_BYTES'
  | 'SQL_MAX_THREADS' | 'SQL_MAX_CONCURRENT_QUERIES' | 'SQL_MAX_QUERIES_PER_USER' | 'SQL_SESSION_TIMEOUT_S' | 'SQL_MAX_QUERY_BYTES'>

export interface SqlPort {
  /** The fetch handler of the analysts' ClickHouse HTTP interface (SQL_PORT and /api/v1/sql). */
  fetch: (request: Request) => Response | Promise<Response>
  close(): Promise<void>
}

/** The analyst SQL port over embedded chDB (own connections per request) or a ClickHouse server. */
export async function createSqlPort(o: { config: SqlPortConfig; auth: Auth; log: Logger; clickhouse: (w: 'analyst') => ClickHouseClient }): Promise<SqlPort> {
  const c = o.config
  const caps: SqlCaps = { maxExecutionS: c.SQL_MAX_EXECUTION_S, maxMemoryBytes: c.SQL_MAX_MEMORY_BYTES, maxResultRows: c.SQL_MAX_RESULT_ROWS, maxResultBytes: c.SQL_MAX_RESULT_BYTES, maxThreads: c.SQL_MAX_THREADS }
  // Server mode: the analysts' own ClickHouse users (readonly profile, quotas, row policies) when configured.
  const own: ClickHouseClient[] = []
  const serverClient = (user: string, password: string) => own[own.push(createClient({ url: c.CLICKHOUSE_URL, username: user, password, application: 'livehouse-analyst', request_timeout: (c.SQL_MAX_EXECUTION_S + 10) * 1000 })) - 1]
  const engine: SqlEngine = c.CLICKHOUSE_URL
    ? await createServerEngine({
      clickhouse: c.CLICKHOUSE_ANALYST_USER ? serverClient(c.CLICKHOUSE_ANALYST_USER, c.CLICKHOUSE_ANALYST_PASSWORD) : o.clickhouse('analyst'),
      scoped: c.CLICKHOUSE_ANALYST_SCOPED_USER ? serverClient(c.CLICKHOUSE_ANALYST_SCOPED_USER, c.CLICKHOUSE_ANALYST_SCOPED_PASSWORD) : undefined,
      caps,
    })
    : await createEmbeddedEngine({ dataDir: resolve(c.DATA_DIR), caps })
  const server = createSqlServer({
    auth: o.auth, engine, caps,
    limits: { maxQueryBytes: c.SQL_MAX_QUERY_BYTES, maxParams: 10_000, maxSettings: 1_000 },
    maxConcurrentQueries: c.SQL_MAX_CONCURRENT_QUERIES, maxQueriesPerUser: c.SQL_MAX_QUERIES_PER_USER, sessionTimeoutS: c.SQL_SESSION_TIMEOUT_S,
    audit: (e) => o.log.info('sql statement', { ...e, query: e.query.slice(0, 4096) }),
  })
  return {
    fetch: (req) => server.fetch(req),
    async close() {
      server.close()
      await engine.close()
      await Promise.all(own.map((c) => c.close()))
    },
  }
}
