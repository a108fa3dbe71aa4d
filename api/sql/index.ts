import { resolve } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import type { Auth } from '../auth.ts'
import type { Config } from '../config.ts'
import type { Logger } from '../log.ts'
import { createEmbeddedEngine, type SqlEngine } from './engine.ts'
import { createServerEngine } from './engine-server.ts'
import { createSqlServer } from './server.ts'
import type { SqlCaps } from './settings.ts'

export type SqlPortConfig = Pick<Config, 'DATA_DIR' | 'CLICKHOUSE_URL' | 'SQL_MAX_EXECUTION_S' | 'SQL_MAX_MEMORY_BYTES' | 'SQL_MAX_RESULT_ROWS' | 'SQL_MAX_RESULT_BYTES'
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
  const engine: SqlEngine = c.CLICKHOUSE_URL
    ? await createServerEngine({ clickhouse: o.clickhouse('analyst'), caps })
    : await createEmbeddedEngine({ dataDir: resolve(c.DATA_DIR), caps })
  const server = createSqlServer({
    auth: o.auth, engine, caps,
    limits: { maxQueryBytes: c.SQL_MAX_QUERY_BYTES, maxParams: 10_000, maxSettings: 1_000 },
    maxConcurrentQueries: c.SQL_MAX_CONCURRENT_QUERIES, maxQueriesPerUser: c.SQL_MAX_QUERIES_PER_USER, sessionTimeoutS: c.SQL_SESSION_TIMEOUT_S,
    rowPolicies: Boolean(c.CLICKHOUSE_URL),
    audit: (e) => o.log.info('sql statement', { ...e, query: e.query.slice(0, 4096) }),
  })
  return {
    fetch: (req) => server.fetch(req),
    async close() {
      server.close()
      await engine.close()
    },
  }
}
