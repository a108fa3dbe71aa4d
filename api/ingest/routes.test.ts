import { describe, expect, it, vi } from 'vitest'
import type { Stream } from '../../core/events.ts'
import type { IngestOptions, Ingestor } from '../../ingest/ingestor.ts'
import { createApp } from '../app.ts'
import { createAuth, generateSecret } from '../auth.ts'
import { createLogger } from '../log.ts'
import { createAdmissionControl, type AdmissionControl } from './admission.ts'
import type { Claim, IdempotencyStore } from './idempotency.ts'
import { createIngestRoutes } from './routes.ts'

const trade = { ts: 0, symbol: 'ACME', price: 1, qty: 1, side: 'buy' }
const body = [JSON.stringify(trade), '{bad'].join('\n')

/** Answers in a Map, claims in a Set: the contract of the real stores in a few lines. */
function memoryStore(): IdempotencyStore {
  const answers = new Map<string, { fingerprint: string; answer: string }>()
  const busy = new Set<string>()
  return {
    async begin(scope, fingerprint): Promise<Claim> {
      const done = answers.get(scope)
      if (done) return done.fingerprint === fingerprint ? { kind: 'done', answer: done.answer } : { kind: 'mismatch' }
      if (busy.has(scope)) return { kind: 'busy' }
      busy.add(scope)
      return { kind: 'new', finish: async (answer) => (answers.set(scope, { fingerprint, answer }), void busy.delete(scope)), release: async () => void busy.delete(scope) }
    },
    close: async () => {},
  }
}

async function setup(text: Ingestor['text'], admission?: AdmissionControl) {
  const auth = createAuth(generateSecret())
  const routes = createIngestRoutes({ auth, ingestor: { text } as Ingestor, maxBodyBytes: 1024, idempotency: memoryStore(), admission })
  const app = createApp({ log: createLogger('silent'), checks: [], routes: [routes] })
  const token = await auth.sign({ sub: 'p', roles: ['ingest'], symbols: ['*'], shops: ['*'] }, '1h')
  const post = (b: string, headers: Record<string, string> = {}) => app.request('/v1/events/trades', { method: 'POST', body: b, headers: { authorization: `Bearer ${token}`, ...headers } })
  return { post }
}

describe('createIngestRoutes', () => {
  it('hands the body to the ingestor it is given (the one the demo generator shares)', async () => {
    const seen: string[] = []
    const { post } = await setup(async (stream: Stream, text: string) => (seen.push(`${stream}:${text}`), { accepted: 1, rejected: 0, errors: [] }))
    const res = await post(body)
    expect([res.status, await res.json()]).toEqual([200, { accepted: 1, rejected: 0, errors: [] }])
    expect(seen).toEqual([`trades:${body}`])
  })

  it('with an Idempotency-Key, ingests once and replays the first answer; a different body is 422, a concurrent twin 409', async () => {
    const keys: (string | undefined)[] = []
    let release = () => {}
    const gate = new Promise<void>((r) => (release = r))
    const { post } = await setup(async (_s: Stream, _t: string, o: IngestOptions = {}) => (keys.push(o.key), await gate, { accepted: keys.length, rejected: 0, errors: [] }))
    const first = post(body, { 'idempotency-key': 'k-1' })
    // The twin comes once the first holds the key (it reached the ingestor): one event-loop turn
    // was not always enough for its token check, and a twin first would wait on the gate forever.
    await vi.waitFor(() => expect(keys).toHaveLength(1), { timeout: 30_000 })
    const twin = await post(body, { 'idempotency-key': 'k-1' })
    expect([twin.status, twin.headers.get('retry-after')]).toEqual([409, '1'])
    release()
    expect(await (await first).json()).toEqual({ accepted: 1, rejected: 0, errors: [] })
    const retry = await post(body, { 'idempotency-key': 'k-1' })
    expect([retry.status, retry.headers.get('idempotent-replayed'), await retry.json()]).toEqual([200, 'true', { accepted: 1, rejected: 0, errors: [] }])
    const other = await post(`${body}\n`, { 'idempotency-key': 'k-1' })
    expect(other.status).toBe(422)
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/) // the ingestor gets a hash, never the client's key
    expect((await post(body, { 'idempotency-key': 'a b' })).status).toBe(400)
  })

  it('under overload refuses the shed share with 503 OVERLOADED and Retry-After before the ingestor sees it', async () => {
    const seen: string[] = []
    const admission = createAdmissionControl({ maxLoopDelayMs: 50, maxTickMs: 0 })
    const { post } = await setup(async (_s: Stream, text: string) => (seen.push(text), { accepted: 1, rejected: 0, errors: [] }), admission)
    admission.step({ loopDelayMs: 80, tickMs: 0 }) // admits half
    const answers = []
    for (let i = 0; i < 4; i++) {
      const res = await post(`${JSON.stringify({ ...trade, id: `t${i}` })}`)
      answers.push([res.status, res.headers.get('retry-after'), res.status === 200 ? null : ((await res.json()) as { error: { code: string } }).error.code])
    }
    expect(answers).toEqual([[503, '1', 'OVERLOADED'], [200, null, null], [503, '1', 'OVERLOADED'], [200, null, null]])
    expect(seen.map((t) => JSON.parse(t).id)).toEqual(['t1', 't3'])
  })
})
