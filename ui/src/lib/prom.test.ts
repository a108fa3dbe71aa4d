import { describe, expect, it } from 'vitest'
import { bucketIncrease, histogramQuantile, parsePrometheus, rate, Scrape } from './prom.ts'

const text = `# HELP livehouse_ingest_events_total Events taken by ingestion.
# TYPE livehouse_ingest_events_total counter
livehouse_ingest_events_total{stream="trades",outcome="accepted"} 12579
livehouse_ingest_events_total{stream="trades",outcome="rejected"} 3
livehouse_ingest_events_total{stream="orders",outcome="accepted"} 1741

livehouse_ws_connections 2
livehouse_data_freshness_seconds{table="candles_1s"} 0.369 1700000000000
odd{msg="a \\"quoted\\", {braced} \\\\ value\\n"} -Inf
h_bucket{le="0.1",route="/a"} 2
h_bucket{le="1",route="/a"} 8
h_bucket{le="+Inf",route="/a"} 10
h_bucket{le="0.1",route="/b"} 0
h_bucket{le="1",route="/b"} 0
h_bucket{le="+Inf",route="/b"} 10
h_count{route="/a"} 10
not a sample
broken{le="1" 3
nan_gauge NaN
`

describe('parsePrometheus', () => {
  it('reads names, labels (with escapes), values and skips comments, blanks, timestamps and junk', () => {
    const s = parsePrometheus(text)
    expect(s[0]).toEqual({ name: 'livehouse_ingest_events_total', labels: { stream: 'trades', outcome: 'accepted' }, value: 12579 })
    expect(s.find((x) => x.name === 'livehouse_ws_connections')).toEqual({ name: 'livehouse_ws_connections', labels: {}, value: 2 })
    expect(s.find((x) => x.name === 'livehouse_data_freshness_seconds')?.value).toBe(0.369)
    expect(s.find((x) => x.name === 'odd')).toEqual({ name: 'odd', labels: { msg: 'a "quoted", {braced} \\ value\n' }, value: -Infinity })
    expect(Number.isNaN(s.find((x) => x.name === 'nan_gauge')?.value)).toBe(true)
    expect(s.some((x) => x.name === 'not' || x.name === 'broken')).toBe(false)
    expect(s).toHaveLength(14)
  })
})

describe('Scrape', () => {
  const scrape = new Scrape(text, 1000)
  it('sums, selects and groups by label', () => {
    expect(scrape.sum('livehouse_ingest_events_total')).toBe(12579 + 3 + 1741)
    expect(scrape.sum('livehouse_ingest_events_total', { outcome: 'accepted' })).toBe(12579 + 1741)
    expect(scrape.sum('missing')).toBeUndefined()
    expect(scrape.sumBy('livehouse_ingest_events_total', 'stream', (l) => l.outcome === 'accepted')).toEqual(new Map([['trades', 12579], ['orders', 1741]]))
    expect(scrape.has('livehouse_ws_connections')).toBe(true)
  })
  it('adds histogram buckets over series, sorted by le', () => {
    expect(scrape.buckets('h')).toEqual([{ le: 0.1, count: 2 }, { le: 1, count: 8 }, { le: Infinity, count: 20 }])
    expect(scrape.buckets('h', { route: '/a' }).map((b) => b.count)).toEqual([2, 8, 10])
  })
})

describe('rates and quantiles', () => {
  it('rates a counter per second and treats a decrease as a restart', () => {
    expect(rate(100, 300, 2)).toBe(100)
    expect(rate(500, 40, 2)).toBe(20)
    expect(rate(undefined, 40, 2)).toBeUndefined()
    expect(rate(1, 2, 0)).toBeUndefined()
  })
  it('interpolates inside the bucket like histogram_quantile', () => {
    const b = [{ le: 0.1, count: 50 }, { le: 0.5, count: 90 }, { le: 1, count: 100 }, { le: Infinity, count: 100 }]
    expect(histogramQuantile(0.5, b)).toBeCloseTo(0.1)
    expect(histogramQuantile(0.7, b)).toBeCloseTo(0.3)
    expect(histogramQuantile(0.99, b)).toBeCloseTo(0.95)
    expect(histogramQuantile(0.99, [{ le: 1, count: 1 }, { le: Infinity, count: 10 }])).toBe(1)
    expect(histogramQuantile(0.99, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }])).toBeNaN()
    expect(histogramQuantile(0.99, [])).toBeNaN()
  })
  it('takes the increase of each bucket between scrapes', () => {
    const before = [{ le: 1, count: 5 }, { le: Infinity, count: 6 }]
    expect(bucketIncrease(before, [{ le: 1, count: 7 }, { le: Infinity, count: 10 }])).toEqual([{ le: 1, count: 2 }, { le: Infinity, count: 4 }])
    expect(bucketIncrease(before, [{ le: 1, count: 1 }, { le: Infinity, count: 1 }])).toEqual([{ le: 1, count: 1 }, { le: Infinity, count: 1 }])
  })
})
