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
