import { describe, expect, it } from 'vitest'
import { createClientPool, type QueryClient } from './pool.ts'

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
