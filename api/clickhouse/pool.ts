import type { ClickHouseClient } from '@clickhouse/client'

/** What the query catalog needs of ClickHouse: one client, or a pool of them. */
export type QueryClient = Pick<ClickHouseClient, 'query'>

/**
 * Several clients of one workload as one: each query goes to the client with the fewest
 * queries in flight (the first of those on a tie). Embedded, each client is one chDB
 * session that runs one statement at a time (client.ts `oneAtATime`), so N sessions run
 * N catalog queries at once, and a slow query holds up only its own session's queue.
 * Over HTTP each client has its own sockets; the pool only spreads the load.
 */
export function createClientPool(clients: QueryClient[]): QueryClient {
  if (clients.length === 0) throw new Error('createClientPool: no clients')
  if (clients.length === 1) return clients[0]
  const inFlight = clients.map(() => 0)
  const query = (async (params: Parameters<ClickHouseClient['query']>[0]) => {
    let i = 0
    for (let j = 1; j < clients.length; j++) if (inFlight[j] < inFlight[i]) i = j
    inFlight[i]++
    try {
      return await clients[i].query(params)
    } finally {
      inFlight[i]--
    }
  }) as ClickHouseClient['query']
  return { query }
}

/**
 * One embedded chDB session whose settings are sent once: chdb-node turns a query's
 * `clickhouse_settings` into `SET` statements run before it on every call, and the session
 * keeps them (client.ts), so after one call succeeds with a set of settings, calls with the
 * same ones go without (measured: 0.3 ms CPU per catalog call, bench/results/2026-12-05-catalog-cost.md).
 * Different settings, or a failure before any success, send them again. Not for a ClickHouse
 * server: over HTTP each request has only the settings it carries.
 */
export function withSessionSettings(client: QueryClient): QueryClient {
  let applied: string | undefined
  const query = (async (params: Parameters<ClickHouseClient['query']>[0]) => {
    const settings = params.clickhouse_settings
    const key = settings ? JSON.stringify(settings) : undefined
    if (key === undefined || key === applied) return client.query({ ...params, clickhouse_settings: undefined })
    const result = await client.query(params)
    applied = key
    return result
  }) as ClickHouseClient['query']
  return { query }
}
