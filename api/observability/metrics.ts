// The Prometheus registry of one Livehouse process: every series /metrics serves is
// declared here, so docs/operations.md and deploy/grafana/livehouse.json have one list.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { CacheObserver, LookupOutcome } from '../cache/cache.ts'

/** Seconds buckets from 1 ms to 10 s: HTTP requests, inserts, Kafka sends, live ticks. */
const latencyBucketsS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** What the ingestion parse pool reports about itself (its stats()): running totals and its queue. */
export interface ParsePoolStats {
  onThread: number
  onMain: number
  queued: number
}

/** What the insights' refresh schedule reports (api/clickhouse/refresh-schedule.ts). */
export interface InsightsRefreshStats {
  paused: boolean
  periodMin: number
  /** The last burst of refreshes, or undefined before every view ran once. */
  spanMs: number | undefined
}

/** What the live gateway reports about itself (LiveGateway.stats()). */
export interface LiveStats {
  connections: number
  liveQueries: number
  effectiveTickMs: number
  lastTickMs: number
  conflated: number
  disconnectedSlow: number
}

export interface WriteObservation {
  attributes: Record<string, string>
  rows: number
  seconds: number
  ok: boolean
}

export type Metrics = ReturnType<typeof createMetrics>

/**
 * A fresh registry with Livehouse's instruments and the process defaults. Other
 * modules get the instruments (or the small recorder functions) passed down from
 * `startLivehouse`; nothing imports a global registry.
 */
export function createMetrics(options: { defaults?: boolean } = {}) {
  const registry = new Registry()
  if (options.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'livehouse_' })
  const registers = [registry]

  const httpDuration = new Histogram({
    name: 'livehouse_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern, method and status, from the first middleware to the response.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: latencyBucketsS,
    registers,
  })
  const ingestEvents = new Counter({
    name: 'livehouse_ingest_events_total',
    help: 'Events taken by ingestion (HTTP and demo generator) by stream; outcome accepted = stored downstream, rejected = sent to dead_letters.',
    labelNames: ['stream', 'outcome'] as const,
    registers,
  })
  const ingestWrite = new Histogram({
    name: 'livehouse_ingest_batch_write_seconds',
    help: 'Time of one batched write: an INSERT into ClickHouse (sink="clickhouse") or a Kafka send acknowledged by all in-sync replicas (sink="kafka").',
    labelNames: ['sink', 'stream', 'outcome'] as const,
    buckets: latencyBucketsS,
    registers,
  })
  const ingestWriteRows = new Counter({
    name: 'livehouse_ingest_batch_rows_total',
    help: 'Rows written by batched writes, by sink, stream and outcome.',
    labelNames: ['sink', 'stream', 'outcome'] as const,
    registers,
  })
  const liveTick = new Histogram({
    name: 'livehouse_live_tick_duration_seconds',
    help: 'Time to run every watched live query once (one scheduler tick).',
    buckets: latencyBucketsS,
    registers,
  })
  const liveDeltas = new Counter({
    name: 'livehouse_live_deltas_total',
    help: 'Delta frames published to live channels, by channel kind.',
    labelNames: ['channel'] as const,
    registers,
  })
  const liveDeltaBytes = new Counter({
    name: 'livehouse_live_delta_bytes_total',
    help: 'Bytes of delta frames published (once per channel, before fan-out), by channel kind.',
    labelNames: ['channel'] as const,
    registers,
  })
  // The live gateway and the parse pool keep plain running totals; these counters follow them by their increase at scrape.
  let liveStats: (() => LiveStats) | undefined
  let parseStats: (() => ParsePoolStats) | undefined
  let refreshStats: (() => InsightsRefreshStats) | undefined
  /** A counter following running totals read at scrape (`read`: the total per value of `label`, or under '' without one). */
  const followingCounter = (name: string, help: string, label: string | undefined, read: () => Record<string, number> | undefined) => {
    const seen: Record<string, number> = {}
    return new Counter({
      name, help, labelNames: label ? [label] : [], registers,
      collect() {
        for (const [value, total] of Object.entries(read() ?? {})) {
          const before = seen[value] ?? 0
          if (total > before) {
            if (label) this.inc({ [label]: value }, total - before)
            else this.inc(total - before)
          }
          seen[value] = Math.max(before, total)
        }
      },
    })
  }
  followingCounter('livehouse_ws_disconnects_total', 'WebSocket connections closed by the server, by reason (too_slow: buffer above LIVE_MAX_CLIENT_BUFFER_BYTES).', 'reason',
    () => liveStats && { too_slow: liveStats().disconnectedSlow })
  followingCounter('livehouse_ws_conflations_total', 'Times a slow WebSocket client skipped deltas and was resynchronised with a snapshot.', undefined,
    () => liveStats && { '': liveStats().conflated })
  followingCounter('livehouse_ingest_parsed_bodies_total', 'Ingestion bodies validated, by where: on a parse thread (INGEST_PARSE_THREADS) or on the main thread (small bodies, or no threads).', 'on', () => {
    const stats = parseStats?.()
    return stats && { thread: stats.onThread, main: stats.onMain }
  })
  const liveGauge = (name: string, help: string, read: (s: LiveStats) => number) =>
    new Gauge({ name, help, registers, collect() { if (liveStats) this.set(read(liveStats())) } })
  liveGauge('livehouse_ws_connections', 'Open WebSocket connections.', (s) => s.connections)
  liveGauge('livehouse_live_channels', 'Live queries running: one per distinct channel topic, however many clients watch it.', (s) => s.liveQueries)
  liveGauge('livehouse_live_last_tick_seconds', 'Duration of the last live scheduler tick.', (s) => s.lastTickMs / 1000)
  liveGauge('livehouse_live_effective_tick_seconds', 'Current live tick interval (LIVE_TICK_MS, stretched to 2x the tick time under load).', (s) => s.effectiveTickMs / 1000)

  const refreshGauge = (name: string, help: string, read: (s: InsightsRefreshStats) => number | undefined) =>
    new Gauge({ name, help, registers, collect() { const v = refreshStats && read(refreshStats()); if (v !== undefined) this.set(v) } })
  refreshGauge('livehouse_insights_refresh_paused', 'Embedded engine: 1 while the insights\' refreshable views are stopped for want of new orders.', (s) => Number(s.paused))
  refreshGauge('livehouse_insights_refresh_period_seconds', 'Embedded engine: the insights\' refresh period, stepped from 60 s up to 3600 s to stay within INSIGHTS_REFRESH_BUDGET.', (s) => s.periodMin * 60)
  refreshGauge('livehouse_insights_refresh_span_seconds', 'Embedded engine: how long the last burst of insights refreshes took (wall clock), which sets the period; 0 until every view refreshed once since the start.', (s) => s.spanMs === undefined ? undefined : s.spanMs / 1000)

  new Gauge({
    name: 'livehouse_ingest_parse_queued_bodies',
    help: 'Ingestion bodies waiting for a free parse thread.',
    registers,
    collect() {
      this.set(parseStats?.().queued ?? 0)
    },
  })

  // CPU per stored event: the whole process (Node and the embedded engine's threads, merges
  // included) against the accepted events, between this scrape and one 10 s to 2 min older.
  let acceptedTotal = 0
  const cpuSamples: { atMs: number; cpuS: number; events: number }[] = []
  new Gauge({
    name: 'livehouse_cpu_seconds_per_event',
    help: 'CPU seconds of the whole process (JS and the embedded engine, merges included) per accepted event, over the last 10 s to 2 min between scrapes; absent while no event was accepted in that window.',
    registers,
    collect() {
      this.reset()
      const { user, system } = process.cpuUsage()
      const now = { atMs: Date.now(), cpuS: (user + system) / 1e6, events: acceptedTotal }
      while (cpuSamples.length > 1 && now.atMs - cpuSamples[1].atMs >= 10_000) cpuSamples.shift() // keep the newest sample ≥ 10 s old first
      const from = cpuSamples[0]
      if (from && now.atMs - from.atMs >= 10_000 && now.atMs - from.atMs <= 120_000 && now.events > from.events) this.set((now.cpuS - from.cpuS) / (now.events - from.events))
      if (from && now.atMs - from.atMs > 120_000) cpuSamples.length = 0
      cpuSamples.push(now)
    },
  })

  // The history cache (api/cache/cache.ts reports through `cache` below).
  const cacheLookups = new Counter({
    name: 'livehouse_history_cache_requests_total',
    help: 'Catalog query lookups by outcome: l1_hit, redis_hit, miss (loaded), shared (waited for another lookup\'s load).',
    labelNames: ['outcome'] as const,
    registers,
  })
  const lookups = { hits: 0, all: 0 }
  for (const outcome of ['l1_hit', 'redis_hit', 'miss', 'shared'] as const) cacheLookups.inc({ outcome }, 0)
  const cacheErrors = new Counter({
    name: 'livehouse_history_cache_errors_total',
    help: 'Redis and query failures.',
    labelNames: ['kind'] as const,
    registers,
  })
  for (const kind of ['redis', 'query'] as const) cacheErrors.inc({ kind }, 0)
  const cacheLoad = new Histogram({
    name: 'livehouse_history_query_duration_ms',
    help: 'ClickHouse time of catalog queries run on a miss, in milliseconds.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000],
    registers,
  })
  new Gauge({
    name: 'livehouse_history_cache_hit_ratio',
    help: 'Share of lookups answered from L1 or Redis since start.',
    registers,
    collect() {
      this.set(lookups.all ? lookups.hits / lookups.all : 0)
    },
  })
  let breakerOpen: (() => boolean) | undefined
  new Gauge({
    name: 'livehouse_history_cache_breaker_open',
    help: '1 while the Redis circuit breaker is open.',
    registers,
    collect() {
      this.set(breakerOpen?.() ? 1 : 0)
    },
  })
  const cache: CacheObserver = {
    lookup(outcome: LookupOutcome) {
      cacheLookups.inc({ outcome })
      lookups.all++
      if (outcome === 'l1_hit' || outcome === 'redis_hit') lookups.hits++
    },
    error: (kind) => cacheErrors.inc({ kind }),
    load: (ms) => cacheLoad.observe(ms),
  }

  return {
    registry,
    httpDuration,

    /** For `createIngestor`'s onResult. */
    countIngest(stream: string, accepted: number, rejected: number) {
      if (accepted) ingestEvents.inc({ stream, outcome: 'accepted' }, accepted)
      acceptedTotal += accepted
      if (rejected) ingestEvents.inc({ stream, outcome: 'rejected' }, rejected)
    },
    /** For the batcher's onWrite: one observation per INSERT or Kafka send. */
    observeWrite(w: WriteObservation) {
      const labels = { sink: w.attributes.sink ?? 'unknown', stream: w.attributes.stream ?? 'unknown', outcome: w.ok ? 'ok' : 'error' }
      ingestWrite.observe(labels, w.seconds)
      ingestWriteRows.inc(labels, w.rows)
    },
    /** For the live scheduler, once per tick. */
    observeTick(ms: number) {
      liveTick.observe(ms / 1000)
    },
    /** For LiveGateway.onPublish. */
    countDelta(channel: string, bytes: number) {
      liveDeltas.inc({ channel })
      liveDeltaBytes.inc({ channel }, bytes)
    },
    /** Gauges and counters read from the live gateway's own counters at scrape time. */
    collectLive(stats: () => LiveStats) {
      liveStats = stats
    },
    /** The parse pool's counters, read at scrape time. */
    collectParse(stats: () => ParsePoolStats) {
      parseStats = stats
    },
    collectInsightsRefresh(stats: () => InsightsRefreshStats) {
      refreshStats = stats
    },
    /** For createCache's `observe`. */
    cache,
    /** The breaker gauge reads the history cache's breaker at scrape time. */
    collectCacheBreaker(open: () => boolean) {
      breakerOpen = open
    },
    contentType: registry.contentType,
    render: () => registry.metrics(),
  }
}
