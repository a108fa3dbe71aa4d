// Delivery does not wait for the history INSERT: the recorder sends an alert as it fires,
// and a resumption finds it among the recent alerts while its INSERT is still under way.
import { describe, expect, it } from 'vitest'
import { createLogger } from '../log.ts'
import { createAlertBus } from './bus.ts'
import { createRecentAlerts } from './recent.ts'
import { createRecorder } from './recorder.ts'
import type { Alert, Rule } from './schema.ts'
import { alertStream } from './sse.ts'
import type { Webhooks } from './webhooks.ts'

const log = createLogger('silent')
const alert = (id: string, owner = 'alice'): Alert => ({
  id, seq: 0, owner, ruleId: 'r1', ruleName: 'r', channel: 'candles', params: { symbol: 'BTC', interval: '1s' }, entity: {},
  condition: { column: 'close', op: '>', value: 1 }, value: 2, at: 0, firedAt: Date.now(),
})
const rule = { notify: [] } as unknown as Rule
const webhooks: Webhooks = { enqueue: () => {}, pending: () => 0, stop: async () => {} }
const principal = { sub: 'alice', roles: new Set(['trader'] as const), symbols: '*' as const, shops: '*' as const }

async function read(stream: ReadableStream<Uint8Array>, until: (text: string) => boolean): Promise<string> {
  const reader = stream.getReader()
  let text = ''
  while (!until(text)) {
    const { value, done } = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  return text
}

describe('alert delivery', () => {
  it('sends an alert before its INSERT completes, and a resume finds it among the recent alerts meanwhile', async () => {
    const bus = createAlertBus({ log })
    const recent = createRecentAlerts()
    bus.onAny((a) => recent.add(a))
    let finishInsert!: () => void
    const inserting: Alert[][] = []
    const store = { insertAlerts: (rows: Alert[]) => (inserting.push(rows), new Promise<void>((r) => (finishInsert = r))) }
    const recorder = createRecorder({ store, bus, webhooks, log })
    const live: Alert[] = []
    bus.subscribe('alice', (a) => live.push(a))
    const first = alert('a1')
    recorder.record(first, rule)
    recorder.record(alert('a2'), rule)
    await Promise.resolve()
    expect(live.map((a) => a.id)).toEqual(['a1', 'a2'])
    // Written meanwhile, one INSERT at a time: a1's is under way, a2 waits for the next.
    expect(inserting.map((rows) => rows.map((a) => a.id))).toEqual([['a1']])
    expect(recorder.pending()).toBe(1)

    // A client that saw a1 resumes: the table has nothing yet, the recent alerts have a2.
    const abort = new AbortController()
    const stream = alertStream({
      principal, bus, store: { alertsAfter: async () => [] }, recent, mayReceive: () => true, lastEventId: first.seq, graceUs: 0,
      heartbeatMs: 60_000, maxBufferedBytes: 1 << 20, signal: abort.signal, onClose: () => {}, onError: () => {},
    })
    const text = await read(stream, (t) => t.includes('event: alert'))
    expect([...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([live[1].seq])
    abort.abort()
    finishInsert()
    await new Promise((r) => setTimeout(r, 0))
    expect(inserting.map((rows) => rows.map((a) => a.id))).toEqual([['a1'], ['a2']])
    finishInsert()
    await recorder.flush(1000)
    expect(recorder.pending()).toBe(0)
    await bus.close()
    recent.stop()
  })

  it('keeps recent alerts per owner in seq order, a few minutes long', () => {
    let clock = 0
    const recent = createRecentAlerts({ keepMs: 1000, now: () => clock })
    for (const [id, seq] of [['x', 3], ['y', 1], ['z', 2]] as const) recent.add({ ...alert(id), seq })
    recent.add({ ...alert('other', 'bob'), seq: 5 })
    expect(recent.after('alice', 1).map((a) => a.id)).toEqual(['z', 'x'])
    clock = 5000
    recent.add({ ...alert('w'), seq: 9 })
    expect(recent.after('alice', 0).map((a) => a.id)).toEqual(['w'])
    recent.stop()
  })
})
