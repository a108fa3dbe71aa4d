/**
 * Storefront sessions: each views one or more products, and some go on view → add_to_cart →
 * checkout → purchase with the drop-off of a real funnel. Many sessions run at once, so their
 * events interleave; now and then one product gets a burst of views from single-page sessions.
 */
import { createWeightedPicker, type Random } from './random.ts'
import type { Shop } from './shop-catalog.ts'
import type { WebEvent, WebEventType } from './types.ts'

const cartRate = 0.3
const checkoutRate = 0.5
const purchaseRate = 0.7
const extraViewProbability = 0.55 // views per session are geometric, mean ≈ 2.2
const signedInShare = 0.4
const activeSessions = 400
const viewBurstStartProbability = 0.0001
const viewBurstShare = 0.6

interface Session {
  sessionId: string
  shopId: string
  customerId?: string
  steps: { type: WebEventType; productId: string }[]
  next: number
  lastTs: number
}

export interface Storefront {
  /** Exactly one web event per timestamp given. */
  webEvents(timestamps: readonly number[]): WebEvent[]
}

export function createStorefront(random: Random, shops: readonly Shop[]): Storefront {
  const pickShop = createWeightedPicker(shops.map((s) => s.traffic))
  const sessions: Session[] = []
  let burst: { shop: Shop; productId: string; eventsLeft: number } | undefined
  let sessionSeq = 0
  const sessionPrefix = `sess-${random.hex(6)}`
  const newSessionId = () => `${sessionPrefix}-${(sessionSeq++).toString(36)}`

  function newSession(ts: number): Session {
    const shop = shops[pickShop(random.next())]
    const steps: Session['steps'] = [{ type: 'view', productId: shop.pickProduct(random.next()).productId }]
    while (random.chance(extraViewProbability)) steps.push({ type: 'view', productId: shop.pickProduct(random.next()).productId })
    const productId = steps[steps.length - 1].productId
    if (random.chance(cartRate)) {
      steps.push({ type: 'add_to_cart', productId })
      if (random.chance(checkoutRate)) {
        steps.push({ type: 'checkout', productId })
        if (random.chance(purchaseRate)) steps.push({ type: 'purchase', productId })
      }
    }
    const customerId = random.chance(signedInShare) ? shop.customers.recentBuyer(random) : undefined
    return { sessionId: newSessionId(), shopId: shop.shopId, customerId, steps, next: 0, lastTs: ts }
  }

  function burstView(ts: number): WebEvent | undefined {
    if (!burst) {
      if (!random.chance(viewBurstStartProbability)) return undefined
      const shop = shops[pickShop(random.next())]
      burst = { shop, productId: shop.pickProduct(random.next()).productId, eventsLeft: random.int(150, 600) }
    }
    if (!random.chance(viewBurstShare)) return undefined
    const { shop, productId } = burst
    if (--burst.eventsLeft <= 0) burst = undefined
    return { ts, session_id: newSessionId(), shop_id: shop.shopId, type: 'view', product_id: productId }
  }

  function sessionEvent(ts: number): WebEvent {
    // Keep about `activeSessions` open; a new one starts whenever the pool runs low.
    const index = sessions.length < activeSessions ? sessions.push(newSession(ts)) - 1 : random.int(0, sessions.length - 1)
    const session = sessions[index]
    const step = session.steps[session.next++]
    session.lastTs = Math.max(ts, session.lastTs) // a session's own events never go back in time
    if (session.next === session.steps.length) {
      sessions[index] = sessions[sessions.length - 1]
      sessions.pop()
    }
    const event: WebEvent = { ts: session.lastTs, session_id: session.sessionId, shop_id: session.shopId, type: step.type }
    if (session.customerId !== undefined) event.customer_id = session.customerId
    event.product_id = step.productId
    return event
  }

  return {
    webEvents: (timestamps) => timestamps.map((ts) => burstView(ts) ?? sessionEvent(ts)),
  }
}
