import { createMemo, createSignal, For, Show } from 'solid-js'
import type uPlot from 'uplot'
import { baseOptions, Chart } from '../components/Chart.tsx'
import { DataTable } from '../components/DataTable.tsx'
import { Freshness } from '../components/Freshness.tsx'
import { KpiCard } from '../components/KpiCard.tsx'
import { Panel } from '../components/Panel.tsx'
import { Sparkline } from '../components/Sparkline.tsx'
import { useQuery } from '../components/use-query.ts'
import { date, int, money, num, pct, share } from '../format.ts'
import type { LiveStore } from '../live/client.ts'
import { useChannel } from '../live/use-channel.ts'
import { claims } from '../session.ts'
import { palette } from '../theme.ts'

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
        <small>Last 24 h vs the 24 h before · completed orders · UTC</small>
      </div>
      <div class="kpis" data-testid="kpis">
        <Kpi label="Revenue" value={money(kpi()?.revenue, currency())} growth={kpi()?.revenue_growth_pct} store={sales()} currency={currency()} shop={shop()} col={2} loading={overview.loading && !kpi()} error={overview.error?.message} />
        <Kpi label="Orders" value={int(kpi()?.orders)} growth={kpi()?.orders_growth_pct} store={sales()} currency={currency()} shop={shop()} col={5} loading={overview.loading && !kpi()} error={overview.error?.message} />
        <Kpi label="Avg order value" value={money(kpi()?.aov, currency())} growth={kpi()?.aov_growth_pct} store={sales()} currency={currency()} shop={shop()} col={7} loading={overview.loading && !kpi()} error={overview.error?.message} />
        <Kpi label="Unique customers" value={int(kpi()?.customers)} growth={kpi()?.customers_growth_pct} store={sales()} currency={currency()} shop={shop()} col={6} loading={overview.loading && !kpi()} error={overview.error?.message} />
      </div>
      <div class="grid">
        <Panel class="wide" title="Revenue and orders per minute" testid="sales-panel" loading={!sales()?.version()} error={sales()?.error()}
          actions={<Show when={sales()}>{(s) => <Freshness at={() => (s().version(), s().newestAt)} />}</Show>}>
          <Show when={sales()} keyed>{(s) => <SalesChart store={s} currency={currency()} />}</Show>
        </Panel>
        <Panel title="Top products (24 h)" testid="top-products" loading={!top()?.version()} error={top()?.error()}
          actions={<Show when={top()}>{(s) => <Freshness at={() => (s().version(), s().newestAt)} />}</Show>}>
          <DataTable caption="Top products" sortBy={3} filter filename={`top-products-${shop()}.csv`}
            rows={() => (top()?.version(), top()?.list() ?? [])}
            columns={[
              { label: 'Product' }, { label: 'Category' }, { label: 'Currency' },
              { label: 'Revenue', numeric: true, format: (v, r) => money(v, String(r[2])) }, { label: 'Units', numeric: true, format: int }, { label: 'Orders', numeric: true, format: int },
            ]} />
        </Panel>
        <Panel title="Categories (24 h)" testid="categories" loading={categories.loading && !categories()} error={categories.error?.message}>
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
    </div>
  )
}

/** Column names of the `sales` channel by index (docs/protocol.md). */
const salesColumns = ['t', 'currency', 'revenue', 'cost', 'units', 'orders', 'customers', 'aov']

function Kpi(props: { label: string; value: string; growth: unknown; store?: LiveStore; currency: string; col: number; loading: boolean; error?: string; shop?: string }) {
  const g = () => (props.growth == null ? null : Number(props.growth))
  return (
    <KpiCard label={props.label} value={props.value} loading={props.loading} error={props.error}
      alertMe={() => props.shop ? { channel: 'sales', params: { shop: props.shop, interval: '1m' }, column: salesColumns[props.col], op: 'anomaly', value: 3, direction: 'below' } : undefined}
      sub={g() === null ? 'no previous period' : `${pct(g())} vs previous 24 h`} tone={g() === null ? undefined : g()! >= 0 ? 'up' : 'down'}>
      <Show when={props.store} keyed>
        {(s) => <Sparkline label={`${props.label} per minute`} subscribe={(f) => s.onChange(f)}
          data={() => {
            const b = s.seriesFor([props.currency])
            return (b ? [b.column(0).subarray(-60), b.column(props.col).subarray(-60)] : [[], []]) as unknown as uPlot.AlignedData // views, no copy
          }} />}
      </Show>
    </KpiCard>
  )
}

function SalesChart(props: { store: LiveStore; currency: string }) {
  const options = () => {
    const p = palette()
    const b = baseOptions(p)
    return {
      ...b,
      scales: { x: { time: true } },
      series: [{}, { label: 'revenue', stroke: p.accent, width: 2, fill: p.accent + '22', value: (_u: uPlot, v: number) => num(v) }, { label: 'orders', stroke: p.accent2, width: 1.5, scale: 'orders', value: (_u: uPlot, v: number) => int(v) }],
      axes: [b.axes![0], b.axes![1], { ...b.axes![1], scale: 'orders', side: 1, grid: { show: false } }],
    } as Omit<uPlot.Options, 'width' | 'height'>
  }
  const data = () => {
    const b = props.store.seriesFor([props.currency])
    return (b ? [b.column(0), b.column(2), b.column(5)] : [[], [], []]) as unknown as uPlot.AlignedData
  }
  return <Chart label="Revenue and orders per minute" options={options} data={data} subscribe={(f) => props.store.onChange(f)} />
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
