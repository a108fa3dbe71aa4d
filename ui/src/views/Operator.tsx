import { createSignal, For, onCleanup, Show, type JSX } from 'solid-js'
import type uPlot from 'uplot'
import { KpiCard } from '../components/KpiCard.tsx'
import { Panel } from '../components/Panel.tsx'
import { Sparkline } from '../components/Sparkline.tsx'
import { freshnessLevel, int, nf, num, share } from '../format.ts'
import { bucketIncrease, histogramQuantile, rate, Scrape, type Match } from '../lib/prom.ts'
import { now } from '../theme.ts'

// The gateway's own /metrics (docs/operations.md lists every series), polled and turned
// into rates: counters between two polls, latency quantiles over the last WINDOW_MS.
const POLL_MS = 2000
const WINDOW_MS = 30_000
const HISTORY = 150 // sparkline points: 5 min at 2 s

const P = 'livehouse_'

interface Derived {
  at: number
  ingest: { stream: string; accepted?: number; rejected?: number; acceptedTotal: number; rejectedTotal: number }[]
  ingestRate?: number
  rejectRate?: number
  writes?: number
  writeErrors?: number
  writeP99: number
  http: { rate?: number; errors?: number; p50: number; p99: number }
  routes: { route: string; rate?: number; p99: number }[]
  ws: { connections?: number; channels?: number; deltas?: number; conflations?: number; conflationRate?: number; disconnects: Map<string, number>; disconnectRate?: number }
  tick: { last?: number; interval?: number; p99: number }
  cache: { ratio?: number; lookups?: number; errors?: number; breakerOpen?: number; missP99Ms: number }
  kafka: { table: string; consumer: string; lag: number; partitions?: number; read?: number }[]
  freshness: { table: string; seconds: number }[]
  worstFreshness?: number
  scrapeOk?: number
  process: { rss?: number; heapUsed?: number; heapTotal?: number; loopLagP99?: number; cpu?: number; startedAt?: number; fds?: number }
  /** What storing costs: parts written per second (in all and per table), merges, CPU per event. */
  cost: { cpuPerEvent?: number; parts?: number; tables: { table: string; parts: number }[]; mergesRunning?: number; merges?: number }
}

/** Everything the page shows, from the newest scrape, the previous one (rates) and one about WINDOW_MS old (quantiles). */
function derive(cur: Scrape, prev: Scrape | undefined, old: Scrape | undefined): Derived {
  const dt = prev ? (cur.at - prev.at) / 1000 : 0
  // A counter with no series yet has counted nothing: 0, once there is a previous poll.
  const r = (name: string, m?: Match) => (prev ? rate(prev.sum(name, m) ?? 0, cur.sum(name, m) ?? 0, dt) : undefined)
  const q = (quantile: number, base: string, m?: Match) => histogramQuantile(quantile, old ? bucketIncrease(old.buckets(base, m), cur.buckets(base, m)) : cur.buckets(base, m))

  const events = `${P}ingest_events_total`
  const streams = [...new Set(cur.select(events).map((s) => s.labels.stream))].sort()
  const ingest = streams.map((stream) => ({
    stream,
    accepted: r(events, { stream, outcome: 'accepted' }),
    rejected: r(events, { stream, outcome: 'rejected' }),
    acceptedTotal: cur.sum(events, { stream, outcome: 'accepted' }) ?? 0,
    rejectedTotal: cur.sum(events, { stream, outcome: 'rejected' }) ?? 0,
  }))

  const http = `${P}http_request_duration_seconds`
  const notScrape = (l: Record<string, string>) => l.route !== '/metrics'
  const routeNames = [...new Set(cur.select(`${http}_count`).map((s) => s.labels.route))]
  const routes = routeNames
    .map((route) => ({ route, rate: r(`${http}_count`, { route }), p99: q(0.99, http, { route }) }))
    .sort((a, b) => (b.rate ?? 0) - (a.rate ?? 0) || a.route.localeCompare(b.route))
    .slice(0, 8)

  const lag = `${P}kafka_consumer_lag_messages`
  const kafka = cur.select(lag).map(({ labels: { table, consumer }, value }) => ({
    table, consumer, lag: value,
    partitions: cur.sum(`${P}kafka_consumer_partitions`, { table, consumer }),
    read: r(`${P}kafka_consumer_messages_read`, { table, consumer }),
  }))

  const freshness = cur.select(`${P}data_freshness_seconds`).map((s) => ({ table: s.labels.table, seconds: s.value })).sort((a, b) => a.table.localeCompare(b.table))
  const cacheReq = `${P}history_cache_requests_total`
  const disconnects = `${P}ws_disconnects_total`
  return {
    at: cur.at,
    ingest,
    ingestRate: r(events, { outcome: 'accepted' }),
    rejectRate: r(events, { outcome: 'rejected' }),
    writes: r(`${P}ingest_batch_write_seconds_count`),
    writeErrors: r(`${P}ingest_batch_write_seconds_count`, { outcome: 'error' }),
    writeP99: q(0.99, `${P}ingest_batch_write_seconds`),
    http: {
      rate: r(`${http}_count`, notScrape),
      errors: r(`${http}_count`, (l) => notScrape(l) && Number(l.status) >= 500),
      p50: q(0.5, http, notScrape),
      p99: q(0.99, http, notScrape),
    },
    routes,
    ws: {
      connections: cur.sum(`${P}ws_connections`),
      channels: cur.sum(`${P}live_channels`),
      deltas: r(`${P}live_deltas_total`),
      conflations: cur.sum(`${P}ws_conflations_total`),
      conflationRate: r(`${P}ws_conflations_total`),
      disconnects: cur.sumBy(disconnects, 'reason'),
      disconnectRate: r(disconnects),
    },
    tick: { last: cur.sum(`${P}live_last_tick_seconds`), interval: cur.sum(`${P}live_effective_tick_seconds`), p99: q(0.99, `${P}live_tick_duration_seconds`) },
    cache: {
      ratio: cur.sum(`${P}history_cache_hit_ratio`),
      lookups: r(cacheReq),
      errors: cur.sum(`${P}history_cache_errors_total`),
      breakerOpen: cur.sum(`${P}history_cache_breaker_open`),
      missP99Ms: q(0.99, `${P}history_query_duration_ms`),
    },
    kafka,
    freshness,
    worstFreshness: freshness.length ? Math.max(...freshness.map((f) => f.seconds)) : undefined,
    scrapeOk: cur.sum(`${P}clickhouse_scrape_ok`),
    cost: {
      cpuPerEvent: cur.sum(`${P}cpu_seconds_per_event`),
      parts: r(`${P}clickhouse_parts_written_total`),
      tables: [...new Set(cur.select(`${P}clickhouse_parts_written_total`).map((s) => s.labels.table))]
        .map((table) => ({ table, parts: r(`${P}clickhouse_parts_written_total`, { table }) ?? 0 }))
        .filter((t) => t.parts > 0).sort((a, b) => b.parts - a.parts || a.table.localeCompare(b.table)).slice(0, 6),
      mergesRunning: cur.sum(`${P}clickhouse_merges_running`),
      merges: r(`${P}clickhouse_merges_total`),
    },
    process: {
      rss: cur.sum(`${P}process_resident_memory_bytes`),
      heapUsed: cur.sum(`${P}nodejs_heap_size_used_bytes`),
      heapTotal: cur.sum(`${P}nodejs_heap_size_total_bytes`),
      loopLagP99: cur.sum(`${P}nodejs_eventloop_lag_p99_seconds`),
      cpu: r(`${P}process_cpu_seconds_total`),
      startedAt: cur.sum(`${P}process_start_time_seconds`),
      fds: cur.sum(`${P}process_open_fds`),
    },
  }
}

// Numbers with units, through format.ts's cache of Intl formatters.
const unit = (u: string, digits: number) => (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '–' : nf(`u${u}${digits}`, { style: 'unit', unit: u, unitDisplay: 'short', maximumFractionDigits: digits }).format(v)
const ms = unit('millisecond', 1)
const sec = unit('second', 1)
const mb = unit('megabyte', 0)
/** A duration given in seconds: "0.4 ms", "36 ms", "1.2 s". */
const dur = (s: number | undefined) => (s === undefined || !Number.isFinite(s) ? '–' : s < 1 ? ms(s < 0.01 ? s * 1000 : Math.round(s * 1000)) : sec(s))
const perSec = (v: number | undefined) => (v === undefined ? '–' : `${num(v, v > 0 && v < 1 ? 2 : v < 10 ? 1 : 0)}/s`)
const bytes = (v: number | undefined) => mb(v === undefined ? undefined : v / 1e6)
const us = unit('microsecond', 0)
function uptime(s: number): string {
  if (s < 120) return unit('second', 0)(s)
  if (s < 7200) return unit('minute', 0)(s / 60)
  if (s < 172_800) return unit('hour', 1)(s / 3600)
  return unit('day', 1)(s / 86_400)
}

export function Operator() {
  const [v, setView] = createSignal<Derived>()
  const [error, setError] = createSignal<string>()
  // Sparkline history: plain arrays (150 points), redrawn through the charts' subscriptions.
  const history = { t: [] as number[], ingest: [] as (number | null)[], fresh: [] as (number | null)[] }
  const listeners = new Set<() => void>()
  const subscribe = (f: () => void) => (listeners.add(f), () => void listeners.delete(f))
  const scrapes: Scrape[] = []

  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  const abort = new AbortController()
  async function poll() {
    try {
      const res = await fetch('/metrics', { signal: abort.signal, cache: 'no-store' })
      if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`)
      if (!(res.headers.get('content-type') ?? '').startsWith('text/plain')) throw new Error('GET /metrics did not answer Prometheus text: metrics are off on this gateway')
      const cur = new Scrape(await res.text())
      const old = scrapes.find((s) => cur.at - s.at <= WINDOW_MS + POLL_MS)
      const d = derive(cur, scrapes.at(-1), old)
      scrapes.push(cur)
      while (scrapes.length && cur.at - scrapes[0].at > WINDOW_MS + POLL_MS) scrapes.shift()
      if (d.ingestRate !== undefined || d.worstFreshness !== undefined) {
        history.t.push(cur.at)
        history.ingest.push(d.ingestRate ?? null) // null: a gap (uPlot's NaN would break the y range)
        history.fresh.push(d.worstFreshness ?? null)
        if (history.t.length > HISTORY) for (const a of Object.values(history)) a.shift()
      }
      setView(d)
      setError(undefined)
      for (const f of listeners) f()
    } catch (e) {
      if (stopped) return
      setError(e instanceof Error ? e.message : String(e))
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS)
  }
  void poll()
  onCleanup(() => {
    stopped = true
    clearTimeout(timer)
    abort.abort()
  })

  const loading = () => !v() && !error()
  const sparkData = (col: 'ingest' | 'fresh') => () => [history.t.slice(), history[col].slice()] as unknown as uPlot.AlignedData

  return (
    <div class="view operator" data-testid="operator-view">
      <div class="toolbar">
        <small>GET /metrics every {POLL_MS / 1000} s · rates between polls · quantiles over the last {WINDOW_MS / 1000} s · HTTP figures leave out /metrics itself</small>
        <Show when={v()}>{(d) => <small data-testid="scraped">read {sec(Math.max(0, now() - d().at) / 1000)} ago</small>}</Show>
      </div>
      <Show when={error()}>
        <p class="error" role="alert" data-testid="operator-error">Could not read /metrics: {error()}{v() ? ' (showing the last values read)' : ''}</p>
      </Show>
      <div class="kpis">
        <KpiCard label="Events accepted" value={perSec(v()?.ingestRate)} testid="ingest-rate" loading={loading()}
          sub={`${perSec(v()?.rejectRate)} rejected`} tone={(v()?.rejectRate ?? 0) > 0 ? 'bad' : undefined}>
          <Sparkline label="Events accepted per second, last 5 minutes" data={sparkData('ingest')} subscribe={subscribe} color="accent" fromZero />
        </KpiCard>
        <KpiCard label="Worst rollup freshness" value={dur(v()?.worstFreshness)} testid="worst-freshness" loading={loading()}
          sub={v()?.scrapeOk === 0 ? 'ClickHouse did not answer the scrape' : `${v()?.freshness.length ?? 0} tables`}
          tone={(v()?.worstFreshness ?? 0) > 10 || v()?.scrapeOk === 0 ? 'bad' : undefined}>
          <Sparkline label="Worst rollup freshness, last 5 minutes" data={sparkData('fresh')} subscribe={subscribe} color="accent2" fromZero />
        </KpiCard>
        <KpiCard label="HTTP requests" value={perSec(v()?.http.rate)} testid="http-rate" loading={loading()}
          sub={`p50 ${dur(v()?.http.p50)} · p99 ${dur(v()?.http.p99)} · 5xx ${perSec(v()?.http.errors)}`} tone={(v()?.http.errors ?? 0) > 0 ? 'bad' : undefined} />
        <KpiCard label="WebSocket clients" value={int(v()?.ws.connections)} testid="ws-connections" loading={loading()}
          sub={`${int(v()?.ws.channels)} live channels · ${perSec(v()?.ws.deltas)} deltas`} />
      </div>
      <div class="grid">
        <Panel title="Ingestion by stream" testid="op-ingest" loading={loading()}>
          <div class="scroll-x">
          <table class="compact">
            <thead><tr><th scope="col">Stream</th><th scope="col" class="num">Accepted</th><th scope="col" class="num">Rejected</th><th scope="col" class="num" title="accepted / rejected since start">Totals</th></tr></thead>
            <tbody>
              <For each={v()?.ingest ?? []} fallback={<tr><td colspan="4" class="empty">No events yet.</td></tr>}>
                {(s) => (
                  <tr>
                    <th scope="row">{s.stream}</th>
                    <td class="num">{perSec(s.accepted)}</td>
                    <td class={`num ${(s.rejected ?? 0) > 0 ? 'bad' : ''}`}>{perSec(s.rejected)}</td>
                    <td class="num totals">{int(s.acceptedTotal)} / {int(s.rejectedTotal)}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
          </div>
          <p class="note">Batched writes {perSec(v()?.writes)} · p99 {dur(v()?.writeP99)} · failed <span classList={{ bad: (v()?.writeErrors ?? 0) > 0 }}>{perSec(v()?.writeErrors)}</span></p>
        </Panel>
        <Panel title="Rollup freshness" testid="op-freshness" loading={loading()}>
          <Show when={v()?.freshness.length} fallback={<p class="empty">{v()?.scrapeOk === 0 ? 'ClickHouse did not answer the scrape: no freshness.' : 'No table has rows yet.'}</p>}>
            <table class="compact">
              <thead><tr><th scope="col">Table</th><th scope="col" class="num">Now − newest row</th></tr></thead>
              <tbody>
                <For each={v()?.freshness ?? []}>
                  {(f) => (
                    <tr data-testid="freshness-row">
                      <th scope="row">{f.table}</th>
                      <td class={`num freshness ${freshnessLevel(f.seconds * 1000)}`}>{dur(f.seconds)}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </Show>
        </Panel>
        <Panel title="HTTP by route" testid="op-http" loading={loading()}>
          <table class="compact">
            <thead><tr><th scope="col">Route</th><th scope="col" class="num">Requests</th><th scope="col" class="num">p99 ({WINDOW_MS / 1000} s)</th></tr></thead>
            <tbody>
              <For each={v()?.routes ?? []} fallback={<tr><td colspan="3" class="empty">No requests yet.</td></tr>}>
                {(r) => <tr><th scope="row" class="route">{r.route}</th><td class="num">{perSec(r.rate)}</td><td class="num">{dur(r.p99)}</td></tr>}
              </For>
            </tbody>
          </table>
        </Panel>
        <Panel title="Live queries and WebSockets" testid="op-live" loading={loading()}>
          <dl class="stats">
            <Item label="Connections">{int(v()?.ws.connections)}</Item>
            <Item label="Live channels">{int(v()?.ws.channels)}</Item>
            <Item label="Deltas published">{perSec(v()?.ws.deltas)}</Item>
            <Item label="Last tick">{dur(v()?.tick.last)}</Item>
            <Item label="Tick p99">{dur(v()?.tick.p99)}</Item>
            <Item label="Tick interval">{dur(v()?.tick.interval)}</Item>
            <Item label="Conflations" bad={(v()?.ws.conflationRate ?? 0) > 0}>{int(v()?.ws.conflations)} · {perSec(v()?.ws.conflationRate)}</Item>
            <Item label="Disconnects" bad={(v()?.ws.disconnectRate ?? 0) > 0}>
              {v()?.ws.disconnects.size ? [...v()!.ws.disconnects].map(([reason, n]) => `${int(n)} ${reason}`).join(', ') : '0'}
            </Item>
          </dl>
        </Panel>
        <Panel title="History cache" testid="op-cache" loading={loading()}>
          <dl class="stats">
            <Item label="Hit ratio">{v()?.cache.ratio === undefined ? '–' : share(v()!.cache.ratio!)}</Item>
            <Item label="Lookups">{perSec(v()?.cache.lookups)}</Item>
            <Item label="Query p99 on a miss">{dur((v()?.cache.missP99Ms ?? NaN) / 1000)}</Item>
            <Item label="Errors" bad={(v()?.cache.errors ?? 0) > 0}>{int(v()?.cache.errors)}</Item>
            <Item label="Redis breaker" bad={v()?.cache.breakerOpen === 1}>{v()?.cache.breakerOpen === undefined ? '–' : v()!.cache.breakerOpen ? 'open: Redis bypassed' : 'closed'}</Item>
          </dl>
        </Panel>
        <Panel title="Kafka consumers" testid="op-kafka" loading={loading()}>
          <Show when={v()?.kafka.length} fallback={<p class="empty">No Kafka consumers: ingestion writes straight to ClickHouse.</p>}>
            <table class="compact">
              <thead><tr><th scope="col">Table</th><th scope="col" class="num">Lag</th><th scope="col" class="num">Partitions</th><th scope="col" class="num">Read</th></tr></thead>
              <tbody>
                <For each={v()?.kafka ?? []}>
                  {(k) => <tr><th scope="row" title={k.consumer}>{k.table}</th><td class="num">{int(k.lag)}</td><td class="num">{int(k.partitions)}</td><td class="num">{perSec(k.read)}</td></tr>}
                </For>
              </tbody>
            </table>
          </Show>
        </Panel>
        <Panel title="Storage cost" testid="op-cost" loading={loading()}>
          <dl class="stats">
            <Item label="CPU per event" bad={(v()?.cost.cpuPerEvent ?? 0) > 0.001}>{v()?.cost.cpuPerEvent === undefined ? '–' : us(v()!.cost.cpuPerEvent! * 1e6)}</Item>
            <Item label="Parts written" bad={(v()?.cost.parts ?? 0) > 200}>{perSec(v()?.cost.parts)}</Item>
            <Item label="Merges running">{int(v()?.cost.mergesRunning)}</Item>
            <Item label="Merges started">{perSec(v()?.cost.merges)}</Item>
          </dl>
          <Show when={v()?.cost.tables.length}>
            <table class="compact">
              <thead><tr><th scope="col">Table</th><th scope="col" class="num">Parts written</th></tr></thead>
              <tbody>
                <For each={v()?.cost.tables ?? []}>
                  {(t) => <tr data-testid="parts-row"><th scope="row">{t.table}</th><td class="num">{perSec(t.parts)}</td></tr>}
                </For>
              </tbody>
            </table>
          </Show>
          <p class="note">Every INSERT writes a part into each table it reaches; merges pay for them later (docs/operations.md).</p>
        </Panel>
        <Panel title="Process" testid="op-process" loading={loading()}>
          <dl class="stats">
            <Item label="Resident memory">{bytes(v()?.process.rss)}</Item>
            <Item label="JS heap">{bytes(v()?.process.heapUsed)} of {bytes(v()?.process.heapTotal)}</Item>
            <Item label="Event-loop lag p99" bad={(v()?.process.loopLagP99 ?? 0) > 0.1}>{dur(v()?.process.loopLagP99)}</Item>
            <Item label="CPU">{v()?.process.cpu === undefined ? '–' : share(v()!.process.cpu!)}</Item>
            <Item label="Open files">{int(v()?.process.fds)}</Item>
            <Item label="Up for">{v()?.process.startedAt ? uptime(now() / 1000 - v()!.process.startedAt!) : '–'}</Item>
          </dl>
        </Panel>
      </div>
    </div>
  )
}

function Item(props: { label: string; bad?: boolean; children: JSX.Element }) {
  return (
    <div>
      <dt>{props.label}</dt>
      <dd classList={{ bad: !!props.bad }}>{props.children}</dd>
    </div>
  )
}
