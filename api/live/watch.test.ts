// A server-side watcher closed before its live query has loaded (an alert rule deleted, or the
// gateway stopping, right after the rule was saved): the late `ready` must find nothing to do.
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../log.ts'
import type { LiveBroker } from './broker.ts'
import type { LiveQuery } from './live-query.ts'
import type { Watched } from './scheduler.ts'
import { createWatches } from './watch.ts'

const unhandled: unknown[] = []
const record = (e: unknown) => void unhandled.push(e)
process.on('unhandledRejection', record)
afterEach(() => void process.off('unhandledRejection', record))

/** A broker whose queries load when the test says so. */
function slowBroker() {
  const loads: { resolve(): void; reject(e: Error): void }[] = []
  let released = 0
  const broker = {
    acquire(_spec: unknown, _params: unknown, topic: string): Watched {
      const ready = new Promise<void>((resolve, reject) => loads.push({ resolve, reject }))
      return { lq: { cid: loads.length, topic, loaded: true, currentRows: () => [] } as unknown as LiveQuery, ready, watchers: 1 }
    },
    release: () => void released++,
  } as unknown as LiveBroker
  return { broker, loads, released: () => released }
}

const principal = { sub: 'rule-owner', roles: new Set(['trader'] as const), symbols: '*' as const, shops: '*' as const }

describe('server-side watch closed before its query loaded', () => {
  it('lets go of the query, and a late load or failure neither throws nor calls the listener', async () => {
    const b = slowBroker()
    const watches = createWatches({ broker: () => b.broker, log: createLogger('silent') })
    const heard: unknown[] = []
    const first = watches.watch('candles', { symbol: 'BTC-USD', interval: '1m' }, principal, (_lq, change) => heard.push(change))
    const second = watches.watch('trades', { symbol: 'BTC-USD' }, principal, (_lq, change) => heard.push(change))
    first.close()
    second.close()
    expect(b.released()).toBe(2)
    b.loads[0].resolve()
    b.loads[1].reject(new Error('ClickHouse unavailable'))
    await new Promise((resolve) => setImmediate(resolve))
    expect([heard, unhandled]).toEqual([[], []])
  })
})
