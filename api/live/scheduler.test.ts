import type { ClickHouseClient } from '@clickhouse/client'
import { afterEach, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import type { Cell } from '../protocol/index.ts'
import { channels } from './channels.ts'
import type { Change, LiveQuery } from './live-query.ts'
import { alignedWaitMs, createScheduler, type Scheduler } from './scheduler.ts'

/** A connection whose queries stay in flight until the test releases them; it answers `rows`. */
function gatedConnection(name: string, rows: (query: string) => Cell[][]) {
  const inFlight: (() => void)[] = []
  let maxInFlight = 0
  const ch = {
    query: ({ query }: { query: string }) => new Promise((resolve) => {
      inFlight.push(() => resolve({ json: async () => rows(query) }))
      maxInFlight = Math.max(maxInFlight, inFlight.length)
    }),
  } as unknown as ClickHouseClient
  return {
    name, ch, inFlight,
    get maxInFlight() { return maxInFlight },
    releaseAll: () => inFlight.splice(0).forEach((release) => release()),
  }
}

const ticker = channels.get('ticker')!
const tickerRow = (symbol: string, last: number): Cell[] => [symbol, last, 100, last - 100, 0, 1, 1]
let scheduler: Scheduler | undefined
let lanes: ReturnType<typeof gatedConnection>[] = []
afterEach(async () => {
  // Stopping waits for the tick in progress: keep answering until it has.
  const answer = setInterval(() => lanes.forEach((l) => l.releaseAll()), 5)
  await scheduler?.stop()
  clearInterval(answer)
})

describe('scheduler', () => {
  it("runs a tick's reads at once, one per tick connection, and publishes all changes in one synchronous pass after the last read", async () => {
    let price = 100
    // Each query answers for the symbols it names (its parameters are inlined literals).
    const rows = (query: string) => ['AAA', 'BBB'].filter((s) => query.includes(`'${s}'`)).map((s) => tickerRow(s, price))
    const main = { ch: { query: async () => ({ json: async () => [] }) } as unknown as ClickHouseClient }
    lanes = [gatedConnection('a', rows), gatedConnection('b', rows)]
    const published: { topic: string; change: Change; afterMicrotask: boolean }[] = []
    let microtaskRan = false
    scheduler = createScheduler({
      ch: main.ch, tickClients: lanes.map((l) => l.ch),
      snapshotBuckets: 5, latenessMs: 1000, tapeMaxPerS: 50, tickMs: 10,
      onChange(lq: LiveQuery, change: Change) {
        if (published.length === 0) queueMicrotask(() => (microtaskRan = true))
        published.push({ topic: lq.topic, change, afterMicrotask: microtaskRan })
      },
    })
    // Two live queries of a kind that is not batched: two reads per tick.
    const watched = [{ symbols: ['AAA'] }, { symbols: ['BBB'] }].map((p) => scheduler!.acquire(ticker, p, ticker.topic(p)))
    await Promise.all(watched.map((w) => w.ready))
    scheduler.start()

    // Both reads are in flight at the same time, each on its own connection.
    await eventually(() => expect(lanes.map((l) => l.inFlight.length)).toEqual([1, 1]))
    lanes[0].releaseAll()
    await new Promise((r) => setTimeout(r, 30))
    expect(published).toEqual([]) // the first read alone publishes nothing
    lanes[1].releaseAll()
    await eventually(() => expect(published.map((p) => p.topic).sort()).toEqual(['ticker/AAA', 'ticker/BBB']))
    // Published back to back: no microtask ran between the two (one event loop turn, one write per client).
    expect(published.map((p) => p.afterMicrotask)).toEqual([false, false])
    expect(published.every((p) => p.change.append.length === 1)).toBe(true) // rows new to every client
    expect(lanes.map((l) => l.maxInFlight)).toEqual([1, 1])

    // The next tick reads again on both connections and publishes only what changed.
    price = 101
    await eventually(() => expect(lanes.map((l) => l.inFlight.length)).toEqual([1, 1]))
    lanes.forEach((l) => l.releaseAll())
    await eventually(() => expect(published).toHaveLength(4))
    expect(published.slice(2).map((p) => p.change.replace[0][1])).toEqual([101, 101])
  })
})

describe('a tick is bounded whatever clients ask', () => {
  it('does not wait for a query still loading its first snapshot', async () => {
    let price = 100
    // The main connection (snapshots) never answers for BBB: its load hangs, as behind a queue of hundreds.
    const main = { query: ({ query }: { query: string }) => query.includes("'BBB'") ? new Promise(() => {}) : Promise.resolve({ json: async () => [tickerRow('AAA', price)] }) } as unknown as ClickHouseClient
    const lane = { query: async () => ({ json: async () => [tickerRow('AAA', price)] }) } as unknown as ClickHouseClient
    lanes = []
    const published: string[] = []
    scheduler = createScheduler({
      ch: main, tickClients: [lane], snapshotBuckets: 5, latenessMs: 1000, tapeMaxPerS: 50, tickMs: 10,
      onChange: (lq: LiveQuery) => void published.push(lq.topic),
    })
    const a = scheduler.acquire(ticker, { symbols: ['AAA'] }, 'ticker/AAA')
    await a.ready
    scheduler.acquire(ticker, { symbols: ['BBB'] }, 'ticker/BBB')
    scheduler.start()
    price = 101
    await eventually(() => expect(published).toContain('ticker/AAA'))
  })

  it('starts no read past its budget, and the next tick begins with the queries it did not reach', async () => {
    let now = 0
    const rows = (query: string) => ['AAA', 'BBB', 'CCC'].filter((s) => query.includes(`'${s}'`)).map((s) => tickerRow(s, 100 + now))
    const order: string[] = []
    const lane = gatedConnection('lane', rows)
    const query = lane.ch.query.bind(lane.ch)
    lane.ch.query = ((q: { query: string }) => (order.push(['AAA', 'BBB', 'CCC'].find((s) => q.query.includes(`'${s}'`))!), query(q))) as typeof lane.ch.query
    lanes = [lane]
    const main = { query: async ({ query }: { query: string }) => ({ json: async () => rows(query) }) } as unknown as ClickHouseClient
    const published: string[] = []
    scheduler = createScheduler({
      ch: main, tickClients: [lane.ch], snapshotBuckets: 5, latenessMs: 1000, tapeMaxPerS: 50, tickMs: 10,
      tickBudgetMs: 100, clock: () => now, onChange: (lq: LiveQuery) => void published.push(lq.topic),
    })
    for (const s of ['AAA', 'BBB', 'CCC']) await scheduler.acquire(ticker, { symbols: [s] }, `ticker/${s}`).ready
    scheduler.start()
    await eventually(() => expect(lane.inFlight.length).toBe(1))
    now = 150 // the first read took longer than the whole budget
    lane.releaseAll()
    await eventually(() => expect(published).toEqual(['ticker/AAA']))
    // Tick 2 starts where tick 1 stopped: BBB, then CCC, then AAA again.
    await eventually(() => expect(order).toEqual(['AAA', 'BBB']))
    for (let i = 0; i < 2; i++) {
      lane.releaseAll()
      await eventually(() => expect(order.length).toBe(3 + i))
    }
    expect(order).toEqual(['AAA', 'BBB', 'CCC', 'AAA'])
  })
})

describe('tick alignment', () => {
  it('ticks on multiples of the tick on the wall clock, never skipping one for a late timer', () => {
    // Started on time at 1000: the next at 1250.
    expect(alignedWaitMs(1005, 1000 + 250, 250)).toBe(245)
    // The timer fired 30 ms late (started at 1030): still 1250, not 1500.
    expect(alignedWaitMs(1040, 1030 + 250, 250)).toBe(210)
    // A stretched tick (effective 600 ms from 1000) lands on a boundary too.
    expect(alignedWaitMs(1300, 1000 + 600, 250)).toBe(200)
    // Already past the boundary: at once.
    expect(alignedWaitMs(1300, 1000 + 250, 250)).toBe(0)
  })
})
