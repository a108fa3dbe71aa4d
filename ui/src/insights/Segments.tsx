// RFM segments of the shop (rfm_summary) as bars; a click lists the segment's customers
// (rfm_segments), each opening the customer detail, with CSV of the rows shown or of all.
import { createSignal, For, Show } from 'solid-js'
import { DataTable } from '../components/DataTable.tsx'
import { Panel } from '../components/Panel.tsx'
import { useQuery } from '../components/use-query.ts'
import { chTime, int, money, share, time } from '../format.ts'
import { downloadCatalogCsv } from './download.ts'
import { selectCustomer } from './selection.ts'

export function Segments(props: { shop: string }) {
  const summary = useQuery('rfm_summary', () => ({ shop: props.shop }), 60_000)
  const [segment, setSegment] = createSignal<{ id: string; name: string }>()
  const customers = useQuery('rfm_segments', () => (segment() ? { shop: props.shop, segment: segment()!.id, limit: 1000 } : undefined), 60_000)
  const rows = () => summary()?.rows ?? []
  const maxCustomers = () => Math.max(1, ...rows().map((r) => Number(r.customers)))
  return (
    <Panel class="wide" title="Customer segments (RFM)" testid="segments-panel" loading={summary.loading && !summary()} error={summary.error?.message}
      actions={<Show when={customers()?.rows[0]?.as_of}>{(at) => <small>as of {time(chTime(at()))} UTC</small>}</Show>}>
      <Show when={rows().length} fallback={<p class="empty">No customers yet: segments need completed orders.</p>}>
        <ul class="bars segments">
          <For each={rows()}>
            {(r) => (
              <li>
                <button type="button" class="link label" aria-pressed={segment()?.id === r.segment} onClick={() => setSegment(segment()?.id === r.segment ? undefined : { id: String(r.segment), name: String(r.segment_name) })}>{String(r.segment_name)}</button>
                <span class="bar" style={{ width: `${(Number(r.customers) / maxCustomers()) * 100}%` }} />
                <span class="num">{int(r.customers)} customers ({share(Number(r.customers_pct) / 100)}) · {money(r.revenue, String(r.currency))} ({share(Number(r.revenue_pct) / 100)} of net revenue) · {int(r.avg_recency_days)} days since last order on average</span>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={segment()}>
        {(s) => (
          <section class="segment-customers" aria-label={`${s().name} customers`} data-testid="segment-customers">
            <header class="table-head">
              <h3>{s().name}</h3>
              <button type="button" onClick={() => void downloadCatalogCsv('rfm_segments', { shop: props.shop, segment: s().id, limit: 100_000 }, `segment-${s().id}-${props.shop}-all.csv`)}>Download all (CSV)</button>
            </header>
            <Show when={!customers.error} fallback={<p class="error" role="alert">{customers.error?.message}</p>}>
              <DataTable caption={`${s().name} customers`} filter filename={`segment-${s().id}-${props.shop}.csv`} sortBy={3}
                rows={() => (customers()?.rows ?? []).map((r) => [r.customer_id, r.recency_days, r.frequency, r.monetary, r.r_score, r.f_score, r.m_score, r.currency])}
                columns={[
                  { label: 'Customer', action: (v) => selectCustomer(String(v)) },
                  { label: 'Days since last order', numeric: true, format: int }, { label: 'Orders', numeric: true, format: int },
                  { label: 'Net revenue', numeric: true, format: (v, r) => money(v, String(r[7])) },
                  { label: 'R', numeric: true }, { label: 'F', numeric: true }, { label: 'M', numeric: true }, { label: 'Currency' },
                ]} />
            </Show>
          </section>
        )}
      </Show>
    </Panel>
  )
}
