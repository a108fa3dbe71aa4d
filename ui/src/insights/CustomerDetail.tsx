// One customer (customer_profile): lifetime value, orders, segment, risk history, last orders.
import { For, Show } from 'solid-js'
import { Panel } from '../components/Panel.tsx'
import { useQuery } from '../components/use-query.ts'
import { chTime, date, int, money, time } from '../format.ts'
import { setOpenCustomer } from './selection.ts'

type Row = Record<string, unknown>

export function CustomerDetail(props: { shop: string; customer: string }) {
  const profile = useQuery('customer_profile', () => ({ shop: props.shop, customer_id: props.customer }), 30_000)
  const at = (v: unknown) => (v == null ? '–' : `${date(chTime(v))} ${time(chTime(v))}`)
  return (
    <Panel class="wide" title={`Customer ${props.customer}`} testid="customer-detail" loading={profile.loading && !profile()} error={profile.error?.message}
      actions={<button type="button" onClick={() => setOpenCustomer(undefined)}>Close</button>}>
      <Show when={profile()?.rows.length} fallback={<p class="empty">No orders from this customer.</p>}>
        <For each={profile()!.rows}>
          {(c) => (
            <div class="customer" data-currency={String(c.currency)}>
              <dl class="facts">
                <div><dt>Lifetime value (net)</dt><dd data-testid="ltv">{money(c.lifetime_value, String(c.currency))}</dd></div>
                <div><dt>Orders</dt><dd>{int(c.orders)}</dd></div>
                <div><dt>Average order</dt><dd>{money(c.aov, String(c.currency))}</dd></div>
                <div><dt>Refunded</dt><dd>{money(c.refunds, String(c.currency))}</dd></div>
                <div><dt>Segment</dt><dd data-testid="customer-segment">{String(c.segment_name ?? '–')} <small>R{String(c.r_score ?? '–')} F{String(c.f_score ?? '–')} M{String(c.m_score ?? '–')}</small></dd></div>
                <div><dt>First · last purchase</dt><dd>{at(c.first_purchase)} · {at(c.last_purchase)}</dd></div>
                <div><dt>Countries</dt><dd>{(c.countries as string[]).join(', ') || '–'}</dd></div>
                <div><dt>Risk</dt><dd data-testid="customer-risk">highest score {int(c.max_score)} · {int(c.flagged_lines)} flagged line(s)</dd></div>
              </dl>
              <Show when={(c.risk_history as Row[]).length}>
                <h3>Risk history (lines scoring 30 or more)</h3>
                <table class="compact"><caption class="sr-only">Risk history</caption>
                  <thead><tr><th scope="col">Time (UTC)</th><th scope="col">Order</th><th scope="col">Product</th><th scope="col" class="num">Score</th><th scope="col">Why</th></tr></thead>
                  <tbody><For each={c.risk_history as Row[]}>{(r) => <tr><td>{at(r.ts)}</td><td>{String(r.order_id)}</td><td>{String(r.product_id)}</td><td class="num">{int(r.score)}</td><td>{(r.reasons as string[]).join('; ')}</td></tr>}</For></tbody>
                </table>
              </Show>
              <h3>Last orders</h3>
              <table class="compact" data-testid="last-orders"><caption class="sr-only">Last orders</caption>
                <thead><tr><th scope="col">Time (UTC)</th><th scope="col">Order</th><th scope="col">Status</th><th scope="col" class="num">Lines</th><th scope="col" class="num">Amount</th><th scope="col" class="num">Refunded</th><th scope="col" class="num">Risk</th></tr></thead>
                <tbody><For each={c.last_orders as Row[]}>{(o) => <tr><td>{at(o.ts)}</td><td>{String(o.order_id)}</td><td>{String(o.status)}</td><td class="num">{int(o.lines)}</td><td class="num">{money(o.amount, String(c.currency))}</td><td class="num">{money(o.refunded, String(c.currency))}</td><td class="num">{int(o.max_score)}</td></tr>}</For></tbody>
              </table>
            </div>
          )}
        </For>
      </Show>
    </Panel>
  )
}
