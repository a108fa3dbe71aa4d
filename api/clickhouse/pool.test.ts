import { describe, expect, it } from 'vitest'
import { createClientPool, withSessionSettings, type QueryClient } from './pool.ts'

/** A client whose queries stay in flight until released; records which client ran what. */
function fakeClients(n: number) {
  const log: string[] = []
  const pending = new Map<string, () => void>()
  const clients = Array.from({ length: n }, (_, i): QueryClient => ({
    query: ((params: { query: string }) => new Promise((resolve) => {
      log.push(`${i}:${params.query}`)
      pending.set(params.query, () => resolve({} as never))
    })) as unknown as QueryClient['query'],
  }))
  return { clients, log, release: (query: string) => pending.get(query)!() }
}

describe('createClientPool', () => {
  it('sends each query to the client with the fewest in flight, the first on a tie', async () => {
    const { clients, log, release } = fakeClients(3)
    const pool = createClientPool(clients)
    const running = ['a', 'b', 'c', 'd'].map((query) => pool.query({ query }))
    expect(log).toEqual(['0:a', '1:b', '2:c', '0:d'])
    release('b')
    await running[1]
    void pool.query({ query: 'e' }) // client 1 is idle; 0 has two, 2 has one
    void pool.query({ query: 'f' }) // 1 and 2 have one each: the first of them
    expect(log.slice(4)).toEqual(['1:e', '1:f'])
  })

  it('frees a client when its query fails', async () => {
    const failing: QueryClient = { query: (() => Promise.reject(new Error('boom'))) as unknown as QueryClient['query'] }
    const { clients, log } = fakeClients(1)
    const pool = createClientPool([failing, ...clients])
    await expect(pool.query({ query: 'x' })).rejects.toThrow('boom')
    // Still counted in flight, the failed client would lose the tie to the other one.
    await expect(pool.query({ query: 'y' })).rejects.toThrow('boom')
    expect(log).toEqual([])
  })

  it('is the client itself when there is one, and refuses none', () => {
    const { clients } = fakeClients(1)
    expect(createClientPool(clients)).toBe(clients[0])
    expect(() => createClientPool([])).toThrow(/no clients/)
  })
})

describe('withSessionSettings', () => {
  /** Records the settings each call carried; fails the calls whose query is 'fail'. */
  function recording() {
    const sent: (object | undefined)[] = []
    const client: QueryClient = {
      query: ((params: { query: string; clickhouse_settings?: object }) => {
        sent.push(params.clickhouse_settings)
        return params.query === 'fail' ? Promise.reject(new Error('boom')) : Promise.resolve({} as never)
      }) as unknown as QueryClient['query'],
    }
    return { client, sent }
  }
  const a = { max_threads: 1, readonly: '1' } as const

  it('sends the settings until a call with them succeeds, then calls with equal ones go without', async () => {
    const { client, sent } = recording()
    const session = withSessionSettings(client)
    await expect(session.query({ query: 'fail', clickhouse_settings: a })).rejects.toThrow('boom')
    await session.query({ query: 'x', clickhouse_settings: a })
    await session.query({ query: 'y', clickhouse_settings: { ...a } })
    await session.query({ query: 'z' })
    expect(sent).toEqual([a, a, undefined, undefined])
  })

  it('sends different settings again', async () => {
    const { client, sent } = recording()
    const session = withSessionSettings(client)
    const b = { max_threads: 2, readonly: '1' } as const
    for (const s of [a, b, b, a]) await session.query({ query: 'x', clickhouse_settings: s })
    expect(sent).toEqual([a, b, undefined, a])
  })
})
