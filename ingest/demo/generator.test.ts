import { afterEach, describe, it, expect, vi } from 'vitest'
import { Reject, validateEvent } from '../../core/events.ts'
import { orderProblems, tradeProblems, unknownKeys, webEventProblems } from './event-checks.ts'
import { createDemoGenerator, type DemoGeneratorOptions } from './generator.ts'
import type { DemoStream, OrderEvent } from './types.ts'

const t0 = Date.UTC(2025, 0, 6, 12)

afterEach(() => {
  vi.useRealTimers()
})

const flush = () => new Promise<void>((resolve) => setImmediate(resolve))

interface Call {
  stream: DemoStream
  events: Record<string, unknown>[]
  atMs: number
}

/** A generator on a fake clock that records every send; `send` resolves unless overridden. */
function setup(options: Partial<DemoGeneratorOptions> = {}) {
  const clock = { nowMs: t0 }
  const calls: Call[] = []
  const generator = createDemoGenerator({
    ratePerSecond: 2000,
    seed: 1,
    now: () => clock.nowMs,
    ...options,
    send: async (stream, events) => {
      calls.push({ stream, events: events as Record<string, unknown>[], atMs: clock.nowMs })
      return options.send?.(stream, events)
    },
  })
  /** Ticks `ticks` times, `ms` apart, letting sends settle in between as the event loop would. */
  const advance = async (ms: number, ticks = 1) => {
    for (let i = 0; i < ticks; i++) {
      clock.nowMs += ms
      generator.tick()
      await flush()
    }
  }
  const eventsOf = (stream: DemoStream) => calls.filter((c) => c.stream === stream).flatMap((c) => c.events)
  return { clock, calls, generator, advance, eventsOf }
}


describe('demo generator: rate and mix', () => {
  it('emits exactly the rate over a simulated second, split 70/10/20', async () => {
    const { generator, advance, eventsOf, calls } = setup()
    await advance(50, 20)
    await generator.stop()
    expect(eventsOf('trades')).toHaveLength(1400)
    expect(eventsOf('orders')).toHaveLength(200)
    expect(eventsOf('web_events')).toHaveLength(400)
    expect(calls).toHaveLength(60) // one batch per stream per tick
    expect(generator.stats()).toEqual({ sent: { trades: 1400, orders: 200, web_events: 400 }, failed: 0, lagMs: 0 })
  })

  it('carries fractions across ticks of uneven length', async () => {
    const { generator, clock, calls } = setup({ ratePerSecond: 333 })
    for (const ms of [17, 83, 50, 0, 250, 1, 99, 500]) {
      clock.nowMs += ms
      generator.tick()
      await flush()
    }
    await generator.stop()
    expect(calls.reduce((n, c) => n + c.events.length, 0)).toBe(333)
  })

  it('follows a custom mix and emits nothing at rate 0', async () => {
    const only = setup({ mix: { trades: 0, orders: 1, web_events: 3 } })
    await only.advance(50, 20)
    await only.generator.stop()
    expect(only.eventsOf('trades')).toHaveLength(0)
    expect(only.eventsOf('orders')).toHaveLength(500)
    expect(only.eventsOf('web_events')).toHaveLength(1500)

    const off = setup({ ratePerSecond: 0 })
    await off.advance(50, 20)
    await off.generator.stop()
    expect(off.calls).toHaveLength(0)
  })

  it('after a stall emits at most a second of events at once', async () => {
    const { generator, advance, calls } = setup()
    await advance(10_000)
    await generator.stop()
    expect(calls.reduce((n, c) => n + c.events.length, 0)).toBe(2000)
  })

  it('ticks on its own once started', async () => {
    vi.useFakeTimers({ now: t0 })
    const calls: number[] = []
    const generator = createDemoGenerator({ ratePerSecond: 1000, seed: 3, send: async (_s, events) => calls.push(events.length) })
    generator.start()
    generator.start() // idempotent
    await vi.advanceTimersByTimeAsync(1000)
    await generator.stop()
    expect(calls.reduce((a, b) => a + b, 0)).toBe(1000)
    await vi.advanceTimersByTimeAsync(1000)
    expect(calls.reduce((a, b) => a + b, 0)).toBe(1000)
  })

  it('rejects invalid options', () => {
    const send = async () => undefined
    expect(() => createDemoGenerator({ ratePerSecond: -1, send })).toThrow(RangeError)
    expect(() => createDemoGenerator({ ratePerSecond: Number.NaN, send })).toThrow(RangeError)
    expect(() => createDemoGenerator({ ratePerSecond: 10, send, tickMs: 0 })).toThrow(RangeError)
    expect(() => createDemoGenerator({ ratePerSecond: 10, send, maxInFlight: 0 })).toThrow(RangeError)
    expect(() => createDemoGenerator({ ratePerSecond: 10, send, mix: { trades: 0, orders: 0, web_events: 0 } })).toThrow(RangeError)
  })
})

describe('demo generator: events', () => {
  it('sends only events that satisfy their schema', async () => {
    const { generator, advance, eventsOf } = setup({ seed: 9 })
    await advance(50, 200)
    await generator.stop()
    expect(eventsOf('trades').flatMap(tradeProblems).slice(0, 5)).toEqual([])
    expect(eventsOf('orders').flatMap(orderProblems).slice(0, 5)).toEqual([])
    expect(eventsOf('web_events').flatMap(webEventProblems).slice(0, 5)).toEqual([])
    for (const stream of ['trades', 'orders', 'web_events'] as const) {
      expect(unknownKeys(stream, eventsOf(stream))).toEqual([])
      // And the ingestion path's own validator accepts every one (event-checks.ts is an independent copy of the rules).
      expect(eventsOf(stream).map((e) => validateEvent(stream, e, t0)).filter((r) => r instanceof Reject).slice(0, 5)).toEqual([])
      expect(eventsOf(stream).length).toBeGreaterThan(0)
    }
  })

  it('checks catch broken events', () => {
    const trade = { ts: t0, symbol: 'AAPL', price: 1, qty: 1, side: 'buy' }
    expect(tradeProblems(trade)).toEqual([])
    expect(tradeProblems({ ...trade, price: 0 })).toHaveLength(1)
    expect(tradeProblems({ ...trade, symbol: 'aapl', side: 'hold', qty: 1e-9 })).toHaveLength(3)
    const order = { order_id: 'o', ts: t0, shop_id: 's', customer_id: 'c', product_id: 'p', category: 'x', quantity: 1, unit_price: 2, currency: 'USD', status: 'completed' }
    expect(orderProblems(order)).toEqual([])
    expect(orderProblems({ ...order, quantity: 1.5, currency: 'usd', country: 'USA', unit_cost: 3 })).toHaveLength(4)
    expect(webEventProblems({ ts: t0, session_id: 's', shop_id: 'x', type: 'click' })).toHaveLength(1)
  })

  it('stamps events with the clock, spread over the tick, a few seconds late now and then', async () => {
    const { generator, advance, calls } = setup({ seed: 4 })
    await advance(50, 400)
    await generator.stop()
    let late = 0
    let total = 0
    const outOfRange: number[] = []
    for (const { events, atMs } of calls) {
      for (const e of events) {
        const ts = e.ts as number
        total++
        if (ts <= atMs - 50) late++
        if (ts > atMs || ts < atMs - 50 - 8000) outOfRange.push(ts)
      }
    }
    expect(outOfRange).toEqual([])
    expect(late).toBeGreaterThan(0)
    expect(late / total).toBeLessThan(0.03)
  })

  it('is deterministic for a seed and clock', async () => {
    const a = setup({ seed: 77 })
    const b = setup({ seed: 77 })
    const c = setup({ seed: 78 })
    for (const g of [a, b, c]) {
      await g.advance(50, 20)
      await g.generator.stop()
    }
    expect(b.calls).toEqual(a.calls)
    expect(c.calls).not.toEqual(a.calls)
  })

  it('refunds only order lines whose send succeeded', async () => {
    let orderCalls = 0
    const { generator, advance, eventsOf } = setup({
      seed: 5,
      // Every other orders batch fails; its completed lines must never come back as refunds.
      send: async (stream) => {
        if (stream === 'orders' && orderCalls++ % 2 === 1) throw new Error('downstream unavailable')
      },
    })
    const delivered = new Set<string>()
    const refunds: OrderEvent[] = []
    for (let i = 0; i < 400; i++) {
      const before = eventsOf('orders').length
      await advance(50)
      const batch = eventsOf('orders').slice(before) as unknown as OrderEvent[]
      if (batch.length === 0) continue
      const succeeded = (orderCalls - 1) % 2 === 0
      for (const o of batch) {
        const key = `${o.order_id}/${o.product_id}`
        if (o.status === 'refunded') refunds.push(o)
        else if (o.status === 'completed' && succeeded) delivered.add(key)
      }
    }
    await generator.stop()
    expect(refunds.length).toBeGreaterThan(10)
    for (const r of refunds) expect(delivered.has(`${r.order_id}/${r.product_id}`)).toBe(true)
  })
})

describe('demo generator: backpressure', () => {
  it('keeps at most maxInFlight sends pending and counts the skipped events as failed', async () => {
    const never = new Promise<never>(() => {})
    const { generator, advance, calls, clock } = setup({ maxInFlight: 4, send: () => never })
    await advance(50, 100)
    await flush()
    expect(calls).toHaveLength(4)
    const pendingEvents = calls.reduce((n, c) => n + c.events.length, 0)
    const stats = generator.stats()
    expect(stats.failed).toBe(10_000 - pendingEvents)
    expect(stats.sent).toEqual({ trades: 0, orders: 0, web_events: 0 })
    expect(stats.lagMs).toBe(clock.nowMs - (t0 + 50)) // the oldest pending send started at the first tick
  })

  it('counts rejected and throwing sends as failed and keeps going', async () => {
    let n = 0
    const { generator, advance, calls } = setup({
      send: (stream) => {
        if (n++ % 2 === 0) throw new Error('sync failure')
        return Promise.reject(new Error(`${stream} rejected`))
      },
    })
    await advance(50, 20)
    await generator.stop()
    expect(calls).toHaveLength(60)
    expect(generator.stats()).toEqual({ sent: { trades: 0, orders: 0, web_events: 0 }, failed: 2000, lagMs: 0 })
  })

  it('stop() waits for pending sends and ends ticking', async () => {
    const releases: (() => void)[] = []
    const { generator, advance, calls } = setup({
      send: () => new Promise<void>((resolve) => releases.push(resolve)),
    })
    await advance(50)
    await flush()
    let stopped = false
    const stopping = generator.stop().then(() => (stopped = true))
    await flush()
    expect(stopped).toBe(false)
    for (const release of releases) release()
    await stopping
    expect(generator.stats().sent).toEqual({ trades: 70, orders: 10, web_events: 20 })
    await advance(50, 10)
    expect(calls).toHaveLength(3)
  })
})
