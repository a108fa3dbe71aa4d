import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'

/**
 * One client per workload (DESIGN.md, engine facts): chDB keeps per-query settings
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
  const connection = createChdbConnection({ path }) as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection']
  return createClient({ connection })
}
