// One product: units per day (product_trend) with the 7-day demand forecast band
// (product_demand), its storefront funnel (24 h) and what is bought with it (bought_together).
import { Show } from 'solid-js'
import { DataTable } from '../components/DataTable.tsx'
import { Panel } from '../components/Panel.tsx'
import { useQuery } from '../components/use-query.ts'
import { chTime, int, num, share } from '../format.ts'
import { ForecastChart } from './ForecastChart.tsx'
import type { Band } from './forecast-band.ts'
import { selectProduct, setOpenProduct } from './selection.ts'

export function ProductDetail(props: { shop: string; product: string }) {
  const p = () => ({ shop: props.shop, product_id: props.product })
  const trend = useQuery('product_trend', () => ({ ...p(), interval: '1d', from: '-28d' }), 300_000)
  const demand = useQuery('product_demand', () => ({ ...p(), interval: '1d', horizon: 7 }), 300_000)
  const funnel = useQuery('funnel', () => ({ ...p(), from: '-24h' }), 60_000)
  const together = useQuery('bought_together', () => ({ ...p(), limit: 10 }), 300_000)
  const band = (): Band | undefined => {
    const rows = demand()?.rows ?? []
    return rows.length ? { t: rows.map((r) => chTime(r.t)), stepMs: 86_400_000, forecast: rows.map((r) => Number(r.forecast)), lower: rows.map((r) => Number(r.lower)), upper: rows.map((r) => Number(r.upper)) } : undefined
  }
  const history = (): [number[], number[]] => {
    const rows = trend()?.rows ?? []
    return [rows.map((r) => chTime(r.t)), rows.map((r) => Number(r.units))]
  }
  const f = () => funnel()?.rows[0]
  return (
    <Panel class="wide" title={`Product ${props.product}`} testid="product-detail" actions={<button type="button" onClick={() => setOpenProduct(undefined)}>Close</button>}>
      <div class="detail-grid">
        <section aria-label="Units per day and demand forecast">
          <h3>Units per day, next 7 days forecast</h3>
          <ForecastChart label={`Units of ${props.product} per day, then the demand forecast`} unit="units / day" history={history} band={band} />
        </section>
        <section aria-label="Funnel" data-testid="product-funnel">
          <h3>Funnel (24 h, sessions)</h3>
          <Show when={f()} fallback={<p class="empty">No storefront events for this product in 24 h.</p>}>
            <p>Viewed {int(f()!.view_sessions)} · carted {int(f()!.add_to_cart_sessions)} · checked out {int(f()!.checkout_sessions)} · bought {int(f()!.purchase_sessions)}
              {f()!.conversion_pct == null ? '' : ` · conversion ${share(Number(f()!.conversion_pct) / 100)}`}</p>
          </Show>
        </section>
        <section aria-label="Bought together" data-testid="bought-together">
          <h3>Bought together (90 days, by lift)</h3>
          <DataTable caption={`Bought with ${props.product}`} rows={() => (together()?.rows ?? []).map((r) => [r.product_id, r.lift, r.orders_together, r.confidence, r.support])}
            columns={[
              { label: 'Product', action: (v) => selectProduct(String(v)) }, { label: 'Lift', numeric: true, format: (v) => num(v, 2) },
              { label: 'Orders together', numeric: true, format: int }, { label: 'Confidence', numeric: true, format: (v) => share(Number(v)) },
              { label: 'Support', numeric: true, format: (v) => share(Number(v)) },
            ]} />
        </section>
      </div>
    </Panel>
  )
}
