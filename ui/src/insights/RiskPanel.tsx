// Flagged order lines (score ≥ 80): the last 24 h from order_risk, and new ones as the live
// `risk` channel publishes them, newest first; a customer opens the customer detail.
import { createMemo, For, Show } from 'solid-js'
import { Panel } from '../components/Panel.tsx'
import { Freshness } from '../components/Freshness.tsx'
import { useQuery } from '../components/use-query.ts'
import { chTime, money, time, date } from '../format.ts'
import { useChannel } from '../live/use-channel.ts'
import { selectCustomer } from './selection.ts'

interface Flagged { t: number; order: string; product: string; customer: string; score: number; amount: unknown; currency: string; reasons: string }

export function RiskPanel(props: { shop: string }) {
  const history = useQuery('order_risk', () => ({ shop: props.shop, from: '-24h', min_score: 80, limit: 200 }), 60_000)
  const live = useChannel('risk', () => ({ shop: props.shop }), { maxRows: 200 })
  const rows = createMemo(() => {
    const byKey = new Map<string, Flagged>()
    for (const r of history()?.rows ?? []) {
      byKey.set(`${r.order_id}/${r.product_id}`, { t: chTime(r.ts), order: String(r.order_id), product: String(r.product_id), customer: String(r.customer_id), score: Number(r.score), amount: r.amount, currency: String(r.currency), reasons: (r.reasons as string[]).join('; ') })
    }
    live()?.version()
    for (const r of live()?.list() ?? []) {
      byKey.set(`${r[1]}/${r[2]}`, { t: Number(r[0]), order: String(r[1]), product: String(r[2]), customer: String(r[3]), score: Number(r[4]), amount: r[5], currency: String(r[6]), reasons: String(r[8]) })
    }
    return [...byKey.values()].sort((a, b) => b.t - a.t || a.order.localeCompare(b.order))
  })
  return (
    <Panel class="wide" title="Flagged orders (score ≥ 80, 24 h)" testid="risk-panel" loading={history.loading && !history()} error={history.error?.message ?? live()?.error()}
      actions={<Show when={live()}>{(s) => <Freshness at={() => (s().version(), s().newestAt)} />}</Show>}>
      <Show when={rows().length} fallback={<p class="empty">No flagged order lines in the last 24 h.</p>}>
        <div class="scroll">
          <table class="compact risk">
            <caption class="sr-only">Flagged order lines, newest first</caption>
            <thead><tr><th scope="col">Time (UTC)</th><th scope="col">Order</th><th scope="col">Customer</th><th scope="col" class="num">Score</th><th scope="col" class="num">Amount</th><th scope="col">Why</th></tr></thead>
            <tbody>
              <For each={rows()}>
                {(r) => (
                  <tr data-order={r.order} data-score={r.score}>
                    <td title={date(r.t)}>{time(r.t)}</td><td>{r.order}</td>
                    <td><button type="button" class="link" onClick={() => selectCustomer(r.customer)}>{r.customer}</button></td>
                    <td class="num"><span class="score">{r.score}</span></td><td class="num">{money(r.amount, r.currency)}</td><td class="reasons">{r.reasons}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
    </Panel>
  )
}
