// Server-side watchers on gateway replicas (watch.ts over the Redis broker, a real Redis and
// a fake ClickHouse): a watched channel's changes, and its ticks, reach the watchers of the
// gateway that leads it only, so an alert rule fires once; when the lead moves, the new
// leader's watchers get the current state first, then the changes (tick watchers: the ticks,
// continuing the sequence).
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { createLogger } from '../log.ts'
import { deltaFrame, type Cell, type Change } from '../protocol/index.ts'
import { eventually } from '../../test/support/eventually.ts'
import { fakeClickHouse } from '../../test/support/fake-clickhouse.ts'
import { leadsChannel, type LiveBroker } from './broker.ts'
import type { LiveQuery } from './live-query.ts'
import { createReplication } from './replication.ts'
import { createWatches } from './watch.ts'

const redisUrl = process.env.LIVEHOUSE_TEST_REDIS_URL
if (!redisUrl) throw new Error('LIVEHOUSE_TEST_REDIS_URL is required (npm test starts a Redis)')
const namespace = `test-watch-${process.pid}-${Date.now()}`
const log = createLogger('silent')
afterAll(async () => {
  const r = new Redis(redisUrl!)
  const keys = await r.keys(`${namespace}*`)
  if (keys.length) await r.del(...keys)
  r.disconnect()
})

/** A gateway reduced to its broker and watchers, wired as gateway.ts wires them. */
function replica(ch: ReturnType<typeof fakeClickHouse>['ch']) {
  let broker!: LiveBroker
  const watches = createWatches({ broker: () => broker, log })
  const deliver = (lq: LiveQuery, frame: Uint8Array, change?: Change) => watches.deliver(lq, frame, change)
  // The production lease (3 s): the lead moves here only when a gateway lets go, and a 300 ms lease could
  // run out whenever this process stalled 200 ms or more on a loaded machine: the follower then led (and was called) too.
  broker = createReplication({ redisUrl: redisUrl!, namespace, log, leaseMs: 3000 })({
    ch, tickClients: [ch], tickMs: 20, snapshotBuckets: 10, latenessMs: 120_000, tapeMaxPerS: 50,
    onChange: (lq, change) => deliver(lq, deltaFrame(lq.cid, lq.seq, change, 0, Date.now()), change),
    onTicked: (lq, change) => watches.ticked(lq, change),
    deliver: (lq, frame) => deliver(lq, frame),
  })
  broker.start()
  return { broker, watches }
}

const seller = { sub: 'rules', roles: new Set(['seller'] as const), symbols: new Set<string>(), shops: '*' as const }
const minute = 60_000

describe('watch on replicas', () => {
  it('calls only the leading gateway\'s watchers, and the next leader\'s (state first) once the lead moves', async () => {
    const { ch, put } = fakeClickHouse()
    const shop = 'watch-shop'
    const base = Math.floor(Date.now() / minute) * minute - 3 * minute
    put(shop, base, 'USD', 1)
    const [a, b] = [replica(ch), replica(ch)]
    const heard = { a: [] as Change[], b: [] as Change[] }
    a.watches.watch('sales', { shop, interval: '1m' }, seller, (_lq, c) => heard.a.push(c))
    await eventually(() => expect(heard.a).toHaveLength(1)) // a leads: the state
    b.watches.watch('sales', { shop, interval: '1m' }, seller, (_lq, c) => heard.b.push(c))
    const topic = `sales/1m/${shop}`
    await eventually(() => expect([leadsChannel(a.broker, topic), leadsChannel(b.broker, topic)]).toEqual([true, false]))

    for (let i = 1; i <= 3; i++) {
      put(shop, base + i * minute, 'USD', 10 + i)
      await eventually(() => expect(heard.a).toHaveLength(1 + i))
    }
    expect(heard.a.slice(1).map((c) => c.append.map((r) => r[2]))).toEqual([[11], [12], [13]])
    expect(heard.b).toEqual([]) // b mirrors the channel but does not lead it

    await a.broker.stop() // a gives the lease up; b takes it over
    await eventually(() => expect(leadsChannel(b.broker, topic)).toBe(true))
    put(shop, base + 4 * minute, 'USD', 14)
    // b's first call is the whole state (which holds the change that primed it), then changes.
    await eventually(() => expect(heard.b.length).toBeGreaterThanOrEqual(1))
    expect(heard.b[0].append.map((r) => r[2]).sort()).toEqual([1, 11, 12, 13, 14])
    put(shop, base + 5 * minute, 'USD', 15)
    await eventually(() => expect(heard.b.at(-1)!.append.map((r) => r[2])).toEqual([15]))
    await b.broker.stop()
  })

  it('calls tick watchers on every tick of the leading gateway only, changed or not; the next leader continues the sequence', async () => {
    const { ch, put } = fakeClickHouse()
    const shop = 'watch-ticks-shop'
    const params = { shop, interval: '1m' }
    const topic = `sales/1m/${shop}`
    const base = Math.floor(Date.now() / minute) * minute - 3 * minute
    put(shop, base, 'USD', 1)
    const [a, b] = [replica(ch), replica(ch)]
    type Tick = { seq: number; values: Cell[] | null; rows: number }
    const heard = { a: [] as Tick[], b: [] as Tick[] }
    const listener = (into: Tick[]) => (lq: LiveQuery, c: Change | null) =>
      into.push({ seq: lq.seq, values: c && [...c.append, ...c.replace].map((r) => r[2]), rows: lq.currentRows().length })
    a.watches.watchTicks('sales', params, seller, listener(heard.a))
    // Nothing changes, and a is called all the same, with the state in the query.
    await eventually(() => expect(heard.a.length).toBeGreaterThanOrEqual(3))
    expect(heard.a.slice(0, 3)).toEqual([0, 1, 2].map(() => ({ seq: 0, values: null, rows: 1 })))
    b.watches.watchTicks('sales', params, seller, listener(heard.b))
    await eventually(() => expect([leadsChannel(a.broker, topic), leadsChannel(b.broker, topic)]).toEqual([true, false]))

    put(shop, base + minute, 'USD', 11)
    await eventually(() => expect(heard.a.filter((t) => t.values)).toEqual([{ seq: 1, values: [11], rows: 2 }]))
    expect(heard.b).toEqual([]) // b mirrors the channel but does not lead it

    await a.broker.stop() // a gives the lease up; b takes it over and ticks from the state a published
    await eventually(() => expect(heard.b.length).toBeGreaterThanOrEqual(2))
    expect(heard.b[0]).toEqual({ seq: 1, values: null, rows: 2 })
    put(shop, base + 2 * minute, 'USD', 12)
    await eventually(() => expect(heard.b.filter((t) => t.values)).toEqual([{ seq: 2, values: [12], rows: 3 }]))
    await b.broker.stop()
  })
})
