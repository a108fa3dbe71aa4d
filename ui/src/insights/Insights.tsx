// The seller view's insights, computed by ClickHouse (catalog queries over views and rollups):
// segments, flagged orders, the revenue forecast, and the product and customer details that
// the seller's tables open.
import { createEffect, on, Show } from 'solid-js'
import { CustomerDetail } from './CustomerDetail.tsx'
import { ProductDetail } from './ProductDetail.tsx'
import { RevenueForecast } from './RevenueForecast.tsx'
import { RiskPanel } from './RiskPanel.tsx'
import { Segments } from './Segments.tsx'
import { openCustomer, openProduct, setOpenCustomer, setOpenProduct } from './selection.ts'
import './insights.css'

export function Insights(props: { shop: string; currency: string }) {
  // Another shop: what was open belonged to the last one.
  createEffect(on(() => props.shop, () => (setOpenProduct(undefined), setOpenCustomer(undefined)), { defer: true }))
  return (
    <div class="grid insights" data-testid="insights">
      <Show when={openCustomer()} keyed>{(c) => <CustomerDetail shop={props.shop} customer={c} />}</Show>
      <Show when={openProduct()} keyed>{(p) => <ProductDetail shop={props.shop} product={p} />}</Show>
      <RiskPanel shop={props.shop} />
      <RevenueForecast shop={props.shop} currency={props.currency} />
      <Segments shop={props.shop} />
    </div>
  )
}
