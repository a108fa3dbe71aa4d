import { describe, expect, it } from 'vitest'
import { LiveStore } from './client.ts'

globalThis.requestAnimationFrame ??= (f: FrameRequestCallback) => setTimeout(() => f(0), 0) as unknown as number

const meta = { columns: ['t', 'currency', 'revenue', 'cost', 'units', 'orders', 'customers', 'aov'], key: [0, 1], time: 0 }
const row = (t: number, currency: string, revenue: number) => [t, currency, revenue, 0, 1, 1, 1, revenue]
const cols = (...rows: (number | string)[][]) => meta.columns.map((_, c) => rows.map((r) => r[c]))

describe('LiveStore', () => {
  it('keeps one series per currency when a shop sells in two (sales is keyed by minute and currency)', () => {
    const store = new LiveStore(1, 'sales', 100, 100)
    store.apply({ t: 'snapshot', sid: 1, meta, cols: cols(row(60_000, 'EUR', 10), row(60_000, 'USD', 20), row(120_000, 'USD', 5)), since: null })
    expect([...store.seriesFor(['EUR'])!.column(2)]).toEqual([10])
    expect([...store.seriesFor(['USD'])!.column(2)]).toEqual([20, 5])

    store.apply({ t: 'delta', sid: 1, upsert: cols(row(60_000, 'EUR', 15)), remove: null, sentAt: 130_000 })
    expect([...store.seriesFor(['EUR'])!.column(2)]).toEqual([15])
    expect([...store.seriesFor(['USD'])!.column(0)]).toEqual([60_000, 120_000])
    expect([...store.seriesFor(['USD'])!.column(2)]).toEqual([20, 5])
  })

  it('a resumed snapshot truncates every series; a full one replaces them', () => {
    const store = new LiveStore(1, 'sales', 100, 100)
    store.apply({ t: 'snapshot', sid: 1, meta, cols: cols(row(60_000, 'EUR', 1), row(120_000, 'EUR', 2), row(120_000, 'USD', 3)), since: null })
    store.apply({ t: 'snapshot', sid: 1, meta, cols: cols(row(120_000, 'EUR', 4)), since: 120_000 })
    expect([...store.seriesFor(['EUR'])!.column(2)]).toEqual([1, 4])
    expect(store.seriesFor(['USD'])!.length).toBe(0)
    store.apply({ t: 'snapshot', sid: 1, meta, cols: cols(row(180_000, 'USD', 9)), since: null })
    expect(store.seriesFor(['EUR'])).toBeUndefined()
    expect([...store.series!.column(2)]).toEqual([9])
  })

  it('a channel keyed by time alone has one series', () => {
    const store = new LiveStore(1, 'candles', 100, 100)
    const m = { columns: ['t', 'open'], key: [0], time: 0 }
    store.apply({ t: 'snapshot', sid: 1, meta: m, cols: [[1000, 2000], [1, 2]], since: null })
    expect(store.buffers.size).toBe(1)
    expect([...store.series!.column(1)]).toEqual([1, 2])
  })
})

describe('LiveStore.touch', () => {
  it('tells listeners once per frame about a change made straight to the buffer', async () => {
    const store = new LiveStore(1, 'candles', 100, 100)
    let calls = 0
    store.onChange(() => calls++)
    store.touch()
    store.touch()
    await new Promise((r) => setTimeout(r, 20))
    expect(calls).toBe(1)
    expect(store.version()).toBe(1)
  })
})
