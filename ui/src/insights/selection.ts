// What the seller has opened in the insights panels: a product, a customer, and the forecast
// band the revenue chart draws (forecast-band.ts). Module signals, so the seller view's own
// tables and chart can open and read them with one line each.
import { createSignal } from 'solid-js'
import type { Band } from './forecast-band.ts'

export const [openProduct, setOpenProduct] = createSignal<string>()
export const [openCustomer, setOpenCustomer] = createSignal<string>()
export const [revenueBand, setRevenueBand] = createSignal<Band>()

export const selectProduct = (id: string) => {
  setOpenProduct(id)
  queueMicrotask(() => document.querySelector('[data-testid="product-detail"]')?.scrollIntoView({ block: 'nearest' }))
}

export const selectCustomer = (id: string) => {
  setOpenCustomer(id)
  queueMicrotask(() => document.querySelector('[data-testid="customer-detail"]')?.scrollIntoView({ block: 'nearest' }))
}
