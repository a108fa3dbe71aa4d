import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { ingest, rows, tokenFor } from '../../test/support/gateway.ts'
import { lagSql } from './clickhouse-metrics.ts'
import { parsePrometheus, Scrape } from '../../ui/src/lib/prom.ts'
import { liveGatewayForFile } from '../../test/support/live-file.ts'

const live = liveGatewayForFile({ LIVE_TICK_MS: '100' })

/** One scrape of /metrics, read with the one Prometheus parser (ui/src/lib/prom.ts): `value` sums the matching series. */
async function scrape(): Promise<{ text: string; value(name: string, labels?: Record<string, string>): number | undefined }> {
  const res = await fetch(`${live.gw.url}/metrics`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
  const text = await res.text()
  // Every sample line is one the parser reads (it skips malformed ones), with a valid metric name.
  // prom-client prints an empty event-loop histogram's NaN as "Nan", which Prometheus reads (any case).
  const lines = text.split('\n').filter((l) => l && !l.startsWith('#'))
  expect(lines.filter((l) => parsePrometheus(l.replace(/ nan$/i, ' NaN')).length !== 1)).toEqual([])
  for (const s of parsePrometheus(text)) expect(s.name).toMatch(/^[a-zA-Z_:][\w:]*$/)
  const parsed = new Scrape(text)
  return { text, value: (name, labels = {}) => parsed.sum(name, labels) }
}

// Dated when sent, not when the file was loaded: the freshness below (< 60 s) and the 1 s candles'
// snapshot window (5 min) count from the data's time, and a slow gateway start came in between.
const trades = (n: number, symbol = 'MET') => {
  const now = Date.now()
  return Array.from({ length: n }, (_, i) => ({ id: `m${symbol}${i}`, ts: now - 2000 + i, symbol, price: 100 + (i % 5), qty: 1, side: i % 2 ? 'buy' : 'sell' }))
}

describe('/metrics after real traffic', () => {
  it('counts accepted and rejected events by stream, times the inserts and the requests', async () => {
    expect((await ingest(live.gw, 'trades', trades(40))).status).toBe(200)
    const mixed = await ingest(live.gw, 'trades', [...trades(10, 'MET2'), '{"symbol": "broken"'])
    expect(await mixed.json()).toMatchObject({ accepted: 10, rejected: 1 })
    expect((await ingest(live.gw, 'orders', [{ order_id: 'o1', ts: Date.now(), shop_id: 's1', customer_id: 'c1', product_id: 'p1', category: 'x', quantity: 1, unit_price: 5, status: 'completed' }])).status).toBe(200)
    expect((await ingest(live.gw, 'trades', trades(1), { headers: { authorization: 'Bearer nope' } })).status).toBe(401)

    const m = await scrape()
    expect(m.value('livehouse_ingest_events_total', { stream: 'trades', outcome: 'accepted' })).toBe(50)
    expect(m.value('livehouse_ingest_events_total', { stream: 'trades', outcome: 'rejected' })).toBe(1)
    expect(m.value('livehouse_ingest_events_total', { stream: 'orders', outcome: 'accepted' })).toBe(1)
    expect(m.value('livehouse_ingest_batch_rows_total', { sink: 'clickhouse', stream: 'trades', outcome: 'ok' })).toBe(50)
    expect(m.value('livehouse_ingest_batch_write_seconds_count', { sink: 'clickhouse', stream: 'trades', outcome: 'ok' })).toBeGreaterThanOrEqual(1)
    expect(m.value('livehouse_ingest_batch_write_seconds_sum', { sink: 'clickhouse', stream: 'trades', outcome: 'ok' })).toBeGreaterThan(0)
    expect(m.value('livehouse_ingest_batch_rows_total', { sink: 'clickhouse', stream: 'dead_letters', outcome: 'ok' })).toBe(1)
    const posts = { route: '/v1/events/:stream', method: 'POST' }
    expect(m.value('livehouse_http_request_duration_seconds_count', { ...posts, status: '200' })).toBe(3)
    expect(m.value('livehouse_http_request_duration_seconds_count', { ...posts, status: '401' })).toBe(1)
    expect(m.value('livehouse_http_request_duration_seconds_bucket', { ...posts, status: '200', le: '+Inf' })).toBe(3)
    expect(m.value('livehouse_http_request_duration_seconds_sum', { ...posts, status: '200' })).toBeGreaterThan(0)
  })

  it('reads freshness and Kafka consumers from ClickHouse on scrape', async () => {
    const m = await eventually(async () => {
      const s = await scrape()
      expect(s.value('livehouse_data_freshness_seconds', { table: 'candles_1s' })).toBeDefined()
      return s
    })
    expect(m.value('livehouse_clickhouse_scrape_ok')).toBe(1)
    const trades = m.value('livehouse_data_freshness_seconds', { table: 'trades' })!
    expect(trades).toBeGreaterThanOrEqual(0)
    expect(trades).toBeLessThan(60)
    expect(m.value('livehouse_data_freshness_seconds', { table: 'orders' })).toBeLessThan(60)
    // Buckets are whole seconds and the trades were dated ~2 s ago.
    expect(m.value('livehouse_data_freshness_seconds', { table: 'candles_1s' })).toBeLessThan(60)
    expect(m.value('livehouse_data_freshness_seconds', { table: 'web_events' })).toBeUndefined() // no rows yet: no series
    // Embedded mode without KAFKA_BROKERS: the query runs, there are no consumers.
    expect(m.text).toContain('# TYPE livehouse_kafka_consumer_lag_messages gauge')
    expect(m.value('livehouse_kafka_consumer_lag_messages')).toBeUndefined()
  })

  it('reports what storing costs: parts written per table, merges, CPU seconds per event', async () => {
    const before = await scrape()
    const parts = (m: typeof before, table: string) => m.value('livehouse_clickhouse_parts_written_total', { table }) ?? 0
    expect(before.text).toContain('# TYPE livehouse_clickhouse_parts_written_total counter')
    expect(before.value('livehouse_clickhouse_merges_running')).toBeGreaterThanOrEqual(0)
    expect(before.value('livehouse_clickhouse_merges_total')).toBeGreaterThanOrEqual(0)
    expect((await ingest(live.gw, 'trades', trades(5, 'COST'))).status).toBe(200) // answered once stored: one INSERT
    const after = await eventually(async () => {
      const m = await scrape()
      expect(parts(m, 'trades')).toBeGreaterThan(parts(before, 'trades'))
      return m
    })
    // The INSERT reached the rollups through their views: a part each, and none in unrelated tables.
    expect(parts(after, 'candles_1s')).toBeGreaterThan(parts(before, 'candles_1s'))
    expect(parts(after, 'orders')).toBe(parts(before, 'orders'))
    // CPU per event needs two scrapes at least 10 s apart with events between them.
    let n = 0
    const cost = await eventually(async () => {
      await ingest(live.gw, 'trades', trades(1, `CPU${n++}`))
      const v = (await scrape()).value('livehouse_cpu_seconds_per_event')
      expect(v).toBeGreaterThan(0)
      return v!
    }, { timeoutMs: 90_000, intervalMs: 500 })
    expect(cost).toBeLessThan(60) // seconds per event: a sane ratio, not a total
  })

  it('sums librdkafka consumer_lag over real partitions, skipping the internal one and unknown lags', async () => {
    // The shape of system.kafka_consumers.rdkafka_stat (librdkafka STATISTICS.md): topics → partitions → consumer_lag.
    const stat = JSON.stringify({ topics: { a: { partitions: { '0': { consumer_lag: 5 }, '1': { consumer_lag: -1 }, '-1': { consumer_lag: 99 } } }, b: { partitions: { '3': { consumer_lag: 7 } } } } })
    const [r] = await rows<{ lag: string | number }>(live.gw.clickhouse('ops'), `SELECT ${lagSql('{stat:String}')} AS lag`, { stat })
    expect(Number(r.lag)).toBe(12)
    const [empty] = await rows<{ lag: string | number }>(live.gw.clickhouse('ops'), `SELECT ${lagSql("''")} AS lag`)
    expect(Number(empty.lag)).toBe(0)
  })

  it('exposes live gateway, cache and process series', async () => {
    const client = await live.connect({ token: await tokenFor(['trader']) })
    client.subscribe(1, 'candles', { symbol: 'MET', interval: '1s' })
    await eventually(() => expect(client.subs.get(1)?.rows.size).toBeGreaterThan(0))
    await ingest(live.gw, 'trades', [{ id: 'late1', ts: Date.now(), symbol: 'MET', price: 120, qty: 2, side: 'buy' }])
    const m = await eventually(async () => {
      const s = await scrape()
      expect(s.value('livehouse_live_deltas_total', { channel: 'candles' })).toBeGreaterThan(0)
      return s
    })
    expect(m.value('livehouse_ws_connections')).toBe(1)
    expect(m.value('livehouse_live_channels')).toBe(1)
    expect(m.value('livehouse_live_delta_bytes_total', { channel: 'candles' })).toBeGreaterThan(0)
    expect(m.value('livehouse_live_effective_tick_seconds')).toBeGreaterThanOrEqual(0.1)
    expect(m.value('livehouse_live_tick_duration_seconds_count')).toBeGreaterThan(0)
    expect(m.value('livehouse_ws_conflations_total')).toBe(0)

    const token = await tokenFor(['trader'])
    // A window ending in a closed minute: cached for the L1's full TTL. With `to=now` the entry
    // lives 1 s (open bucket) or its key moves at the minute, and a loaded CI turned the repeat into a miss.
    const closedTo = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000).toISOString()
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${live.gw.url}/api/v1/q/symbol_stats?symbol=MET&to=${closedTo}`, { headers: { authorization: `Bearer ${token}` } })
      expect(res.status).toBe(200)
    }
    const after = await scrape()
    expect(after.value('livehouse_history_cache_requests_total', { outcome: 'miss' })).toBeGreaterThanOrEqual(1)
    expect(after.value('livehouse_history_cache_requests_total', { outcome: 'l1_hit' })).toBeGreaterThanOrEqual(1)
    expect(after.value('livehouse_http_request_duration_seconds_count', { route: '/api/v1/q/:name', method: 'GET', status: '200' })).toBe(2)
    expect(after.value('livehouse_process_cpu_seconds_total')).toBeGreaterThan(0)
    expect(after.value('livehouse_nodejs_eventloop_lag_p99_seconds')).toBeDefined()
    // /metrics itself is labelled by its route, not by a raw path; an unknown path collapses to one label.
    await fetch(`${live.gw.url}/api/v1/no/such/path/${Date.now()}`)
    const last = await scrape()
    expect(last.value('livehouse_http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBe(1)
    expect(last.value('livehouse_http_request_duration_seconds_count', { route: '/metrics' })).toBeGreaterThan(0)
    // Every series name is exposed exactly once (no duplicate registrations between the registry and the cache text).
    const typed = last.text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2])
    expect(new Set(typed).size).toBe(typed.length)
    // Every series the Grafana dashboard plots is one this process exposes.
    const dashboard = readFileSync(resolve(import.meta.dirname, '../../deploy/grafana/livehouse.json'), 'utf8')
    const plotted = new Set([...dashboard.matchAll(/livehouse_\w+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')))
    expect(plotted.size).toBeGreaterThan(20)
    for (const name of plotted) expect(typed, name).toContain(name)
  })
})
