import { createMemo, createSignal, For, Show } from 'solid-js'
import type uPlot from 'uplot'
import { baseOptions, Chart } from '../components/Chart.tsx'
import { DataTable } from '../components/DataTable.tsx'
import { Freshness } from '../components/Freshness.tsx'
import { KpiCard } from '../components/KpiCard.tsx'
import { Panel } from '../components/Panel.tsx'
import { Sparkline } from '../components/Sparkline.tsx'
import { redrawAtBucketEnds, splitOpenBucket } from '../components/open-bucket.ts'
import { useQuery } from '../components/use-query.ts'
import { date, int, money, num, pct, share } from '../format.ts'
import type { LiveStore } from '../live/client.ts'
import { useChannel } from '../live/use-channel.ts'
import { claims } from '../session.ts'
import { palette } from '../theme.ts'
import { Insights } from '../insights/Insights.tsx'
import { forecastBand } from '../insights/forecast-band.ts'
import { selectProduct } from '../insights/selection.ts'

const demoShops = ['shop-1', 'shop-2', 'shop-3', 'shop-4', 'shop-5']

export function Seller() {
  const shops = () => {
    const s = claims()?.shops
    return Array.isArray(s) && s.length ? s : demoShops
  }
  const [picked, setPicked] = createSignal<string>()
  const shop = () => picked() ?? shops()[0]
  const sales = useChannel('sales', () => ({ shop: shop(), interval: '1m' }), { capacity: 1440 })
  const top = useChannel('top_products', () => ({ shop: shop(), window: '24h', n: 50 }))
  const funnel = useChannel('funnel', () => ({ shop: shop() }), { capacity: 120 })
  const overview = useQuery('sales_overview', () => ({ shop: shop(), from: '-24h' }), 5000)
  const categories = useQuery('category_breakdown', () => ({ shop: shop(), from: '-24h' }), 15_000)
  const cohorts = useQuery('retention_cohorts', () => ({ shop: shop() }), 60_000)
  const kpi = () => overview()?.rows[0]
  // One currency's figures at a time: the live sales rows are per (minute, currency).
  const currency = () => String(kpi()?.currency ?? sales()?.series?.text.get(1) ?? 'USD')

  return (
    <div class="view seller" data-testid="seller-view">
      <div class="toolbar">
        <label>Shop <select value={shop()} onChange={(e) => setPicked(e.currentTarget.value)}>
          <For each={shops()}>{(s) => <option value={s}>{s}</option>}</For>
        </select></label>
        <small>Last 24 h up to now (the current minute so far) vs the 24 h before · revenue net of refunds · UTC</small>
      </div>
      <div class="kpis" data-testid="kpis">
        <Kpi label="Net revenue" testid="kpi-revenue" value={money(kpi()?.revenue, currency())} growth={kpi()?.revenue_growth_pct} store={sales()} currency={currency()} shop={shop()} col={2} loading={overview.loading && !kpi()} error={overview.error?.message}
          detail={kpi() && `gross ${money(kpi()!.gross_revenue, currency())} − refunds ${money(kpi()!.refunds, currency())}`} />
        <Kpi label="Orders" testid="kpi-orders" value={int(kpi()?.orders)} growth={kpi()?.orders_growth_pct} store={sales()} currency={currency()} shop={shop()} col={5} loading={overview.loading && !kpi()} error={overview.error?.message} />
        <Kpi label="Avg order value" testid="kpi-aov" value={money(kpi()?.aov, currency())} growth={kpi()?.aov_growth_pct} store={sales()} currency={currency()} shop={shop()} col={7} loading={overview.loading && !kpi()} error={overview.error?.message} detail="net revenue per order" />
        <Kpi label="Unique customers" testid="kpi-customers" value={int(kpi()?.customers)} growth={kpi()?.customers_growth_pct} store={sales()} currency={currency()} shop={shop()} col={6} loading={overview.loading && !kpi()} error={overview.error?.message} />
      </div>
      <p class="note" data-testid="open-bucket-note">Sparklines and the minute chart: solid lines are complete minutes; the dashed end is the current minute, still filling (so far, not projected).</p>
      <div class="grid">
        <Panel class="wide" title="Net revenue and orders per minute" testid="sales-panel" loading={!sales()?.version()} error={sales()?.error()}
          actions={<Show when={sales()}>{(s) => <Freshness at={() => (s().version(), s().newestAt)} />}</Show>}>
          <Show when={sales()} keyed>{(s) => <SalesChart store={s} currency={currency()} />}</Show>
        </Panel>
        <Panel title="Top products (24 h)" testid="top-products" loading={!top()?.version()} error={top()?.error()}
          actions={<Show when={top()}>{(s) => <Freshness at={() => (s().version(), s().newestAt)} />}</Show>}>
          <DataTable caption="Top products" sortBy={3} filter filename={`top-products-${shop()}.csv`}
            rows={() => (top()?.version(), top()?.list() ?? [])}
            columns={[
              { label: 'Product', action: (v) => selectProduct(String(v)) }, { label: 'Category' }, { label: 'Currency' },
              { label: 'Net revenue', numeric: true, format: (v, r) => money(v, String(r[2])) }, { label: 'Net units', numeric: true, format: int }, { label: 'Orders', numeric: true, format: int },
              { label: 'Gross', numeric: true, format: (v, r) => money(v, String(r[2])) }, { label: 'Refunds', numeric: true, format: (v, r) => money(v, String(r[2])) },
            ]} />
        </Panel>
        <Panel title="Categories (24 h, net)" testid="categories" loading={categories.loading && !categories()} error={categories.error?.message}>
          <ul class="bars">
            <For each={categories()?.rows ?? []}>
              {(r) => (
                <li>
                  <span class="label">{String(r.category)}</span>
                  <span class="bar" style={{ width: `${Math.max(1, Number(r.revenue_share_pct))}%` }} />
                  <span class="num">{money(r.revenue, String(r.currency))} · {share(Number(r.revenue_share_pct) / 100)}</span>
                </li>
              )}
            </For>
          </ul>
        </Panel>
        <Panel title="Funnel (last full minute)" testid="funnel" loading={!funnel()?.version()} error={funnel()?.error()}
          actions={<Show when={funnel()}>{(s) => <Freshness at={() => (s().version(), s().newestAt)} />}</Show>}>
          <Funnel store={funnel()} />
        </Panel>
        <Panel class="wide" title="Cohort retention (by first-purchase month)" testid="cohorts" loading={cohorts.loading && !cohorts()} error={cohorts.error?.message}>
          <Cohorts rows={cohorts()?.rows ?? []} />
        </Panel>
      </div>
      <Insights shop={shop()} currency={currency()} />
    </div>
  )
}

const minuteMs = 60_000
/** Column names of the `sales` channel by index (docs/protocol.md). */
const salesColumns = ['t', 'currency', 'revenue', 'cost', 'units', 'orders', 'customers', 'aov', 'gross_revenue', 'refunds']

function Kpi(props: { label: string; testid: string; value: string; growth: unknown; detail?: string; store?: LiveStore; currency: string; col: number; loading: boolean; error?: string; shop?: string }) {
  const g = () => (props.growth == null ? null : Number(props.growth))
  const [openT, setOpenT] = createSignal<number>()
  return (
    <KpiCard label={props.label} value={props.value} loading={props.loading} error={props.error} testid={props.testid} detail={props.detail}
      alertMe={() => props.shop ? { channel: 'sales', params: { shop: props.shop, interval: '1m' }, column: salesColumns[props.col], op: 'anomaly', value: 3, direction: 'below' } : undefined}
      sub={g() === null ? 'no previous period' : `${pct(g())} vs previous 24 h`} tone={g() === null ? undefined : g()! >= 0 ? 'up' : 'down'}>
      <Show when={props.store} keyed>
        {(s) => <Sparkline label={`${props.label} per minute, last hour`} openLabel="current minute so far" openT={openT} subscribe={redrawAtBucketEnds((f) => s.onChange(f), minuteMs)}
          data={() => {
            const b = s.seriesFor([props.currency])
            const split = splitOpenBucket(b ? b.column(0).subarray(-60) : [], [b ? b.column(props.col).subarray(-60) : []], minuteMs, Date.now())
            setOpenT(split.openT)
            return split.data
          }} />}
      </Show>
    </KpiCard>
  )
}

function SalesChart(props: { store: LiveStore; currency: string }) {
  const [split, setSplit] = createSignal<{ openT?: number; lastClosedT?: number }>({})
  const options = () => {
    const p = palette()
    const b = baseOptions(p)
    const amount = (_u: uPlot, v: number) => num(v)
    const count = (_u: uPlot, v: number) => int(v)
    return {
      ...b,
      scales: { x: { time: true } },
      series: [
        {},
        { label: 'net revenue', stroke: p.accent, width: 2, fill: p.accent + '22', value: amount },
        { label: 'net revenue, this minute so far', stroke: p.accent, width: 2, dash: [6, 4], points: { show: true, size: 5 }, value: amount },
        { label: 'orders', stroke: p.accent2, width: 1.5, scale: 'orders', value: count },
        { label: 'orders, this minute so far', stroke: p.accent2, width: 1.5, dash: [6, 4], scale: 'orders', points: { show: true, size: 4 }, value: count },
      ],
      axes: [b.axes![0], b.axes![1], { ...b.axes![1], scale: 'orders', side: 1, grid: { show: false } }],
      plugins: [forecastBand(p.accent2)], // the revenue forecast's 80 % band ahead of the live line (insights)
    } as Omit<uPlot.Options, 'width' | 'height'>
  }
  const data = () => {
    const b = props.store.seriesFor([props.currency])
    const s = splitOpenBucket(b ? b.column(0) : [], b ? [b.column(2), b.column(5)] : [[], []], minuteMs, Date.now())
    setSplit({ openT: s.openT, lastClosedT: s.lastClosedT })
    return s.data
  }
  const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16)
  return (
    <figure class="sales-chart" data-testid="sales-chart" data-open-t={split().openT ?? ''} data-last-closed-t={split().lastClosedT ?? ''}>
      <Chart label="Net revenue and orders per minute; the current minute dashed" options={options} data={data} subscribe={redrawAtBucketEnds((f) => props.store.onChange(f), minuteMs)} />
      <figcaption class="note">
        {split().openT !== undefined
          ? `Dashed: the minute from ${hhmm(split().openT!)} UTC, still filling (so far, not projected). Solid: complete minutes.`
          : 'Every minute shown is complete.'}
      </figcaption>
    </figure>
  )
}

const steps = [['Viewed', 6], ['Added to cart', 7], ['Checkout', 8], ['Purchased', 9]] as const

function Funnel(props: { store?: LiveStore }) {
  // The newest bucket is still filling: show the one before it.
  const at = () => {
    props.store?.version()
    const b = props.store?.series
    return b && b.length > 1 ? b.length - 2 : b?.length ? 0 : -1
  }
  const value = (col: number) => props.store?.series?.column(col)[at()] ?? 0
  return (
    <Show when={at() >= 0} fallback={<p class="empty">No storefront events yet.</p>}>
      <ol class="funnel">
        <For each={steps}>
          {([label, col], i) => {
            const top = () => value(6) || 1
            const prev = () => (i() === 0 ? value(col) : value(steps[i() - 1][1]))
            return (
              <li>
                <span class="label">{label}</span>
                <span class="bar" style={{ width: `${(value(col) / top()) * 100}%` }} />
                <span class="num">{int(value(col))} sessions{i() > 0 ? ` · ${share(prev() ? value(col) / prev() : 0)} of previous` : ''}</span>
              </li>
            )
          }}
        </For>
      </ol>
      <small>Minute starting {date(props.store!.series!.column(0)[at()])} {new Date(props.store!.series!.column(0)[at()]).toISOString().slice(11, 16)} UTC</small>
    </Show>
  )
}

function Cohorts(props: { rows: Record<string, unknown>[] }) {
  const grid = createMemo(() => {
    const cohorts = [...new Set(props.rows.map((r) => String(r.cohort)))].sort()
    const maxOffset = Math.max(0, ...props.rows.map((r) => Number(r.month_offset)))
    const cell = new Map(props.rows.map((r) => [`${r.cohort}|${r.month_offset}`, r]))
    return { cohorts, offsets: Array.from({ length: maxOffset + 1 }, (_, i) => i), cell }
  })
  return (
    <Show when={props.rows.length} fallback={<p class="empty">No cohorts yet: customers appear after their first completed purchase.</p>}>
      <div class="scroll">
        <table class="cohorts">
          <caption class="sr-only">Share of each cohort buying again N months later</caption>
          <thead><tr><th scope="col">Cohort</th><For each={grid().offsets}>{(o) => <th scope="col" class="num">M{o}</th>}</For></tr></thead>
          <tbody>
            <For each={grid().cohorts}>
              {(c) => (
                <tr>
                  <th scope="row">{c.slice(0, 7)}</th>
                  <For each={grid().offsets}>
                    {(o) => {
                      const r = grid().cell.get(`${c}|${o}`)
                      const v = r ? Number(r.retention_pct) : NaN
                      return <td class="num heat" style={{ '--v': Number.isNaN(v) ? 0 : v / 100 }} title={r ? `${int(r.customers)} of ${int(r.cohort_size)}` : ''}>{Number.isNaN(v) ? '' : share(v / 100)}</td>
                    }}
                  </For>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </Show>
  )
}
