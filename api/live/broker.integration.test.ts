// One suite for every broker (broker.ts): the in-process one and the Redis one (replication.ts,
// on a real Redis). ClickHouse is a small fake answering the `sales` channel's SQL from rows
// the test owns, so what each gateway's watchers end up holding is compared with that truth,
// and every frame is checked against the protocol's invariants, never one broker's copy
// against another's.
import type { ClickHouseClient } from '@clickhouse/client'
import { Redis } from 'ioredis'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../log.ts'
import { decodeServerFrame, deltaFrame, snapshotFrame, toRows, type Cell, type ServerFrame } from '../protocol/index.ts'
import { eventually } from '../../test/support/eventually.ts'
import { InvariantChecker } from '../../test/support/protocol-invariants.ts'
import { fakeClickHouse } from '../../test/support/fake-clickhouse.ts'
import { createMemoryBroker, leadsChannel, type BrokerFactory, type LiveBroker } from './broker.ts'
import { channels } from './channels.ts'
import type { LiveQuery } from './live-query.ts'
import { createReplication } from './replication.ts'

const redisUrl = process.env.LIVEHOUSE_TEST_REDIS_URL
if (!redisUrl) throw new Error('LIVEHOUSE_TEST_REDIS_URL is required (npm test starts a Redis)')
const namespace = `test-broker-${process.pid}-${Date.now()}`
afterAll(async () => {
  const r = new Redis(redisUrl!)
  const keys = await r.keys(`${namespace}*`)
  if (keys.length) await r.del(...keys)
  r.disconnect()
})

const minute = 60_000
const spec = channels.get('sales')!

/** One gateway's view: its broker, and a client per topic rebuilt from the frames it delivered. */
interface Node {
  broker: LiveBroker
  checker: InvariantChecker
  clients: Map<string, Map<string, Cell[]>>
  /** Per topic, the ticks onTicked reported: changed or not, and the seq each saw. */
  ticks: Map<string, { changed: number; idle: number; seqs: number[] }>
  subscribe(topic: string, params: unknown): Promise<LiveQuery>
}

function node(make: BrokerFactory, ch: ClickHouseClient): Node {
  const checker = new InvariantChecker()
  const clients = new Map<string, Map<string, Cell[]>>()
  const ticks: Node['ticks'] = new Map()
  const cids = new Map<number, string>()
  const key = (r: Cell[]) => JSON.stringify([r[0], r[1]])
  const receive = (topic: string, f: ServerFrame) => {
    checker.check(f)
    const held = clients.get(topic)!
    if (f.type === 16) for (const r of toRows(f.cols, f.base, 0)) held.set(key(r), r)
    if (f.type === 17) for (const block of [f.append, f.replace]) if (block) for (const r of toRows(block, f.base, 0)) held.set(key(r), r)
  }
  const deliver = (lq: LiveQuery, frame: Uint8Array) => {
    const topic = cids.get(lq.cid)
    if (topic) receive(topic, decodeServerFrame(frame))
  }
  const broker = make({
    ch, tickClients: [ch], tickMs: 20, snapshotBuckets: 10, latenessMs: 2 * minute, tapeMaxPerS: 50,
    onChange: (lq, change) => deliver(lq, deltaFrame(lq.cid, lq.seq, change, 0, Date.now())),
    onTicked: (lq, change) => {
      const topic = cids.get(lq.cid)
      if (!topic) return
      if (!ticks.has(topic)) ticks.set(topic, { changed: 0, idle: 0, seqs: [] })
      const t = ticks.get(topic)!
      if (change) t.changed++
      else t.idle++
      t.seqs.push(lq.seq)
    },
    deliver,
  })
  broker.start()
  return {
    broker, checker, clients, ticks,
    async subscribe(topic, params) {
      const w = broker.acquire(spec, params, topic)
      await w.ready
      // As the gateway does for a socket: the snapshot, then every delta of this cid.
      clients.set(topic, new Map())
      receive(topic, decodeServerFrame(snapshotFrame(1, w.lq.cid, w.lq.seq, spec.meta, w.lq.snapshot(), null)))
      cids.set(w.lq.cid, topic)
      return w.lq
    },
  }
}

const brokers: Record<string, BrokerFactory> = {
  memory: createMemoryBroker,
  // The production lease (3 s, renewed every second): no test here waits for one to run out (a leader
  // lets go and is followed at once), and a 300 ms lease could run out whenever this process stalled
  // 200 ms or more on a loaded machine, moving the lead to the other gateway in the middle of a test.
  redis: (o) => createReplication({ redisUrl: redisUrl!, namespace, log: createLogger('silent'), leaseMs: 3000, followTimeoutMs: 5000 })(o),
}

const started: Node[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.broker.stop()))
})

let shopNo = 0
for (const [name, make] of Object.entries(brokers)) {
  describe(`broker: ${name}`, () => {
    const cluster = (n: number, ch: ClickHouseClient) => Array.from({ length: n }, () => {
      const x = node(make, ch)
      started.push(x)
      return x
    })

    it('gives every gateway a snapshot, then every change in order; each ends with what ClickHouse holds', async () => {
      const { ch, put, db } = fakeClickHouse()
      const shop = `shop-${name}-${++shopNo}`
      const params = { shop, interval: '1m' }
      const topic = spec.topic(params)
      const base = Math.floor(Date.now() / minute) * minute - 5 * minute
      put(shop, base, 'USD', 1)
      const nodes = cluster(2, ch)
      for (const n of nodes) await n.subscribe(topic, params)
      for (let i = 1; i <= 12; i++) {
        // New minutes, corrections of the current one, and a second currency appearing in it.
        put(shop, base + Math.floor(i / 3) * minute, i % 4 === 0 ? 'EUR' : 'USD', i)
        const truth = JSON.stringify([...db.rows.get(shop)!.values()].map((r) => [r[0], r[1], r[2]]).sort())
        await eventually(() => {
          for (const n of nodes) expect(JSON.stringify([...n.clients.get(topic)!.values()].map((r) => [r[0], r[1], r[2]]).sort())).toBe(truth)
        })
      }
      for (const n of nodes) expect(n.checker.violations).toEqual([])
    })

    it('runs one live query per topic however many watch it, and stops it with the last release', async () => {
      const { ch } = fakeClickHouse()
      const [n] = cluster(1, ch)
      const params = { shop: `shop-${name}-${++shopNo}`, interval: '1m' }
      const topic = spec.topic(params)
      const [a, b] = [n.broker.acquire(spec, params, topic), n.broker.acquire(spec, params, topic)]
      await Promise.all([a.ready, b.ready])
      expect([a.lq === b.lq, n.broker.stats().liveQueries]).toEqual([true, 1])
      n.broker.release(a)
      expect(n.broker.stats().liveQueries).toBe(1)
      n.broker.release(b)
      await eventually(() => expect(n.broker.stats().liveQueries).toBe(0))
    })

    it('fails the start of a channel ClickHouse cannot answer, and starts it afresh for the next watcher', async () => {
      const { ch, db, put } = fakeClickHouse()
      const [n] = cluster(1, ch)
      const shop = `shop-${name}-${++shopNo}`
      const params = { shop, interval: '1m' }
      put(shop, Math.floor(Date.now() / minute) * minute, 'USD', 7)
      db.failLoads.set(shop, 1)
      const first = n.broker.acquire(spec, params, spec.topic(params))
      await expect(first.ready).rejects.toThrow('injected')
      n.broker.release(first)
      await eventually(async () => {
        const again = n.broker.acquire(spec, params, spec.topic(params))
        try {
          await again.ready
        } catch (e) {
          n.broker.release(again)
          throw e
        }
        expect(again.lq.currentRows().map((r) => r[2])).toEqual([7])
      })
    })

    it('reports every tick of a channel to the gateway leading it, null when nothing changed, and nothing where it only mirrors', async () => {
      const { ch, put } = fakeClickHouse()
      const nodes = cluster(2, ch)
      const shop = `shop-${name}-${++shopNo}`
      const base = Math.floor(Date.now() / minute) * minute - minute
      put(shop, base, 'USD', 1)
      const params = { shop, interval: '1m' }
      const topic = spec.topic(params)
      for (const n of nodes) await n.subscribe(topic, params)
      const leaders = nodes.filter((n) => leadsChannel(n.broker, topic))
      const followers = nodes.filter((n) => !leadsChannel(n.broker, topic))
      expect(leaders.length).toBeGreaterThan(0)
      // Nothing changes: the ticks go on all the same.
      await eventually(() => leaders.forEach((n) => expect(n.ticks.get(topic)?.idle).toBeGreaterThanOrEqual(3)))
      put(shop, base + minute, 'USD', 2)
      await eventually(() => leaders.forEach((n) => expect(n.ticks.get(topic)?.changed).toBe(1)))
      const after = leaders.map((n) => n.ticks.get(topic)!.seqs.length)
      await eventually(() => leaders.forEach((n, i) => expect(n.ticks.get(topic)!.seqs.length).toBeGreaterThan(after[i] + 2)))
      for (const n of leaders) {
        // One tick changed the channel (seq 1): the ticks before it saw seq 0, every one after it seq 1.
        const seqs = n.ticks.get(topic)!.seqs
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
        expect([seqs[0], seqs.at(-1), new Set(seqs).size]).toEqual([0, 1, 2])
      }
      for (const n of followers) expect(n.ticks.get(topic)).toBeUndefined()
    })

    it('has exactly one gateway leading each channel', async () => {
      const { ch, put } = fakeClickHouse()
      const nodes = cluster(2, ch)
      const shop = `shop-${name}-${++shopNo}`
      put(shop, Math.floor(Date.now() / minute) * minute, 'USD', 1)
      const params = { shop, interval: '1m' }
      for (const n of nodes) await n.subscribe(spec.topic(params), params)
      const leaders = nodes.filter((n) => leadsChannel(n.broker, spec.topic(params))).length
      // In process every gateway runs its own queries; on Redis one runs them for all.
      expect(leaders).toBe(name === 'memory' ? 2 : 1)
    })
  })
}

describe('broker: redis, hand-over', () => {
  it('moves a channel to a follower when its leader lets go, and the follower continues the sequence without a gap', async () => {
    const { ch, put, db } = fakeClickHouse()
    const make = brokers.redis
    const [a, b] = [node(make, ch), node(make, ch)]
    started.push(b)
    const shop = `shop-handover-${++shopNo}`
    const params = { shop, interval: '1m' }
    const topic = spec.topic(params)
    const base = Math.floor(Date.now() / minute) * minute - 3 * minute
    put(shop, base, 'USD', 1)
    await a.subscribe(topic, params)
    await b.subscribe(topic, params)
    expect([leadsChannel(a.broker, topic), leadsChannel(b.broker, topic)]).toEqual([true, false])
    await a.broker.stop() // releases its lease: b is told at once
    await eventually(() => expect(leadsChannel(b.broker, topic)).toBe(true))
    for (let i = 1; i <= 4; i++) {
      put(shop, base + i * minute, 'USD', i)
      const truth = JSON.stringify([...db.rows.get(shop)!.values()].map((r) => [r[0], r[2]]).sort())
      await eventually(() => expect(JSON.stringify([...b.clients.get(topic)!.values()].map((r) => [r[0], r[2]]).sort())).toBe(truth))
    }
    expect(b.checker.violations).toEqual([])
  })
})
