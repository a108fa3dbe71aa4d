// Webhook delivery against real local HTTP receivers: body, signature, retries, timeouts,
// refusals, pinning to the checked address, and a full queue.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { createLogger } from '../log.ts'
import type { Alert, Rule } from './schema.ts'
import { createWebhooks, sign, signatureHeader, type WebhookOutcome, type Webhooks } from './webhooks.ts'

interface Received { headers: IncomingMessage['headers']; body: string }
const servers: Server[] = []
const senders: Webhooks[] = []
afterEach(async () => {
  await Promise.all(senders.splice(0).map((s) => s.stop()))
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))))
})

async function receiver(answer: (n: number, res: ServerResponse) => void): Promise<{ url: string; port: number; got: Received[] }> {
  const got: Received[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      got.push({ headers: req.headers, body })
      answer(got.length, res)
    })
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return { url: `http://127.0.0.1:${port}/hook`, port, got }
}

const alert = (id = crypto.randomUUID()): Alert => ({
  id, seq: 1, owner: 'alice', ruleId: 'r1', ruleName: 'BTC above 100', channel: 'candles', params: { symbol: 'BTC', interval: '1s' }, entity: {},
  condition: { column: 'close', op: 'crosses_above', value: 100 }, value: 101.5, at: Date.now(), firedAt: Date.now(),
})
const rule = (urls: string[]): Rule => ({
  id: 'r1', owner: 'alice', name: 'BTC above 100', channel: 'candles', params: {}, condition: { column: 'close', op: '>', value: 100 }, for_s: 0, cooldown_s: 0,
  notify: urls.map((url) => ({ type: 'webhook' as const, url, secret: 'a-secret-of-sixteen-chars' })), access: { roles: ['trader'], symbols: '*', shops: '*', expiresAt: Date.now() + 60_000 },
  muted: false, snoozedUntil: 0, ackedAt: 0, version: 1, createdAt: 0, updatedAt: 0,
})

function sender(o: Partial<Parameters<typeof createWebhooks>[0]> = {}) {
  const outcomes: WebhookOutcome[] = []
  const s = createWebhooks({ policy: { allowPrivate: true }, log: createLogger('silent'), timeoutMs: 2000, maxAttempts: 3, backoffMs: 20, maxQueue: 100, concurrency: 4, onOutcome: (x) => outcomes.push(x), ...o })
  senders.push(s)
  return { s, outcomes }
}

describe('alert webhooks', () => {
  it('posts a Slack-compatible body with an HMAC signature the receiver can check', async () => {
    const r = await receiver((_, res) => res.end('ok'))
    const { s, outcomes } = sender()
    const a = alert()
    s.enqueue(a, rule([r.url]))
    await eventually(() => expect(outcomes).toEqual(['ok']))
    const { headers, body } = r.got[0]
    const parsed = JSON.parse(body)
    expect(parsed.text).toMatch(/^Alert "BTC above 100": candles symbol=BTC interval=1s close crosses_above 100 \(value 101.5\)/)
    expect(parsed.alert).toMatchObject({ id: a.id, rule_id: 'r1', value: 101.5, channel: 'candles' })
    expect(headers['content-type']).toBe('application/json')
    expect(headers['x-livehouse-alert-id']).toBe(a.id)
    const t = Number(/t=(\d+)/.exec(String(headers[signatureHeader]))![1])
    expect(headers[signatureHeader]).toBe(sign('a-secret-of-sixteen-chars', body, t))
    expect(headers[signatureHeader]).not.toBe(sign('another-secret-of-16', body, t))
  })

  it('retries 5xx and 429 with backoff until it succeeds; a 4xx is final', async () => {
    const flaky = await receiver((n, res) => ((res.statusCode = n === 1 ? 503 : n === 2 ? 429 : 200), res.end()))
    const gone = await receiver((_, res) => ((res.statusCode = 404), res.end()))
    const { s, outcomes } = sender()
    s.enqueue(alert(), rule([flaky.url]))
    await eventually(() => expect(outcomes).toEqual(['retry', 'retry', 'ok']))
    expect(flaky.got).toHaveLength(3)
    s.enqueue(alert(), rule([gone.url]))
    await eventually(() => expect(outcomes.slice(3)).toEqual(['failed']))
    expect(gone.got).toHaveLength(1)
  })

  it('gives up on a receiver that never answers after its attempts, without holding up another', async () => {
    const hung = await receiver(() => {}) // never answers
    const fine = await receiver((_, res) => res.end())
    // 2 s, not less: the healthy receiver answers within the same timeout, and the receivers run on
    // this process's event loop: on a loaded machine a 300 ms timeout also fired on its answer.
    const { s, outcomes } = sender({ timeoutMs: 2000, maxAttempts: 2, concurrency: 1 })
    s.enqueue(alert(), rule([hung.url]))
    s.enqueue(alert(), rule([fine.url]))
    // With one connection at a time, the healthy receiver is served while the hung one waits for its retry.
    await eventually(() => expect(fine.got).toHaveLength(1))
    await eventually(() => expect(outcomes.filter((x) => x !== 'ok')).toEqual(['retry', 'failed']))
    expect(hung.got).toHaveLength(2)
    expect(s.pending()).toBe(0)
  })

  it('refuses a private target unless allowed, and connects to the address it checked, not a second answer', async () => {
    const r = await receiver((_, res) => res.end())
    const strict = sender({ policy: { allowPrivate: false } })
    strict.s.enqueue(alert(), rule([r.url, `http://localhost:${r.port}/`, 'http://169.254.169.254/latest/meta-data/']))
    await eventually(() => expect(strict.outcomes).toEqual(['refused', 'refused', 'refused']))
    expect(r.got).toEqual([])
    // A name only this resolver knows: the request reaches the receiver through the address it returned.
    const answers = ['127.0.0.1', '10.255.255.1']
    const asked: string[] = []
    const pinned = sender({ policy: { allowPrivate: true, resolve: async (host) => (asked.push(host), [answers[asked.length - 1] ?? '10.255.255.1']) } })
    pinned.s.enqueue(alert(), rule([`http://hooks.receiver.test:${r.port}/hook`]))
    await eventually(() => expect(pinned.outcomes).toEqual(['ok']))
    expect(asked).toEqual(['hooks.receiver.test'])
    expect(r.got[0].headers.host).toBe(`hooks.receiver.test:${r.port}`)
  })

  it('drops deliveries beyond its queue instead of growing without bound', async () => {
    const hung = await receiver(() => {})
    const { s, outcomes } = sender({ maxQueue: 2, concurrency: 1, timeoutMs: 5000 })
    for (let i = 0; i < 5; i++) s.enqueue(alert(), rule([hung.url]))
    expect(outcomes).toEqual(['dropped', 'dropped', 'dropped'])
    expect(s.pending()).toBe(2)
  })
})
