// The workbench's requests against a fake fetch: at most MAX_REQUESTS in flight (a slot is held
// until the answer is read), and a 202 refusal (too many simultaneous queries) asked again.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'

type Client = typeof import('./client.ts')
let client: Client

beforeAll(async () => {
  const store = new Map<string, string>([['livehouse.token', 'a.b.c']])
  vi.stubGlobal('localStorage', { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => store.set(k, v), removeItem: (k: string) => store.delete(k) })
  client = await import('./client.ts')
})
afterEach(() => vi.unstubAllGlobals())

const refused = () => new Response('Code: 202. DB::Exception: Too many simultaneous queries for user ana. Current: 2, maximum: 2. (TOO_MANY_SIMULTANEOUS_QUERIES)\n',
  { status: 500, headers: { 'x-clickhouse-exception-code': '202' } })
const answer = (data: unknown[][]) => new Response(JSON.stringify({ meta: [], data }), { status: 200, headers: { 'content-type': 'application/json' } })

describe('analyst client', () => {
  it('has at most MAX_REQUESTS requests in flight; the others start as answers are read', async () => {
    let inFlight = 0
    let most = 0
    const pending: (() => void)[] = []
    vi.stubGlobal('fetch', async () => {
      most = Math.max(most, ++inFlight)
      await new Promise<void>((resolve) => pending.push(resolve))
      inFlight--
      return answer([[1]])
    })
    const all = Promise.all([1, 2, 3, 4, 5].map(() => client.rows('SELECT 1')))
    await vi.waitFor(() => expect(pending.length).toBe(client.MAX_REQUESTS), { timeout: 30_000 })
    // Answer all five, one at a time, each once it has been asked: a fixed pause here let the loop
    // end early (and the test hang) when reading an answer and starting the next took longer.
    for (let answered = 0; answered < 5; answered++) {
      await vi.waitFor(() => expect(pending.length).toBeGreaterThan(0), { timeout: 30_000 })
      pending.shift()!()
    }
    expect(await all).toEqual(Array(5).fill([[1]]))
    expect(most).toBe(client.MAX_REQUESTS)
  })

  it('asks again after a 202 refusal, and reports it with its code when it persists', async () => {
    const urls: string[] = []
    let refusals = 2
    vi.stubGlobal('fetch', async (url: string) => (urls.push(url), refusals-- > 0 ? refused() : answer([[42]])))
    expect(await client.rows('SELECT 42')).toEqual([[42]])
    expect(urls).toHaveLength(3)

    vi.stubGlobal('fetch', async () => refused())
    await expect(client.rows('SELECT 42')).rejects.toMatchObject({ code: 'CLICKHOUSE_202', status: 500 })
  })

  it('a refusal other than 202 is not asked again', async () => {
    let calls = 0
    vi.stubGlobal('fetch', async () => (calls++, new Response('Code: 164. DB::Exception: readonly. (READONLY)\n', { status: 403, headers: { 'x-clickhouse-exception-code': '164' } })))
    await expect(client.rows('DROP TABLE trades')).rejects.toMatchObject({ code: 'CLICKHOUSE_164' })
    expect(calls).toBe(1)
  })
})
