// One scope case per live channel, shared by the scope tests of every surface that names a
// channel (the WebSocket: api/access.live.integration.test.ts; alert rules:
// api/access.alerts.integration.test.ts). Each test fails when a channel has no case here.
import type { Role } from '../../core/roles.ts'

export interface ChannelCase {
  role: Role
  scope: 'symbols' | 'shops'
  /** Params naming an entity: the in-scope (A) or out-of-scope (B) one. */
  params(entity: string): Record<string, unknown>
}

export const scopeEntities = { symbols: { A: 'BTC-USD', B: 'ETH-USD' }, shops: { A: 'shop-a', B: 'shop-b' } } as const

export const channelCases: Record<string, ChannelCase> = {
  candles: { role: 'trader', scope: 'symbols', params: (s) => ({ symbol: s, interval: '1m' }) },
  trades: { role: 'trader', scope: 'symbols', params: (s) => ({ symbol: s }) },
  ticker: { role: 'trader', scope: 'symbols', params: (s) => ({ symbols: [s] }) },
  sales: { role: 'seller', scope: 'shops', params: (s) => ({ shop: s, interval: '1m' }) },
  top_products: { role: 'seller', scope: 'shops', params: (s) => ({ shop: s, window: '24h' }) },
  funnel: { role: 'seller', scope: 'shops', params: (s) => ({ shop: s }) },
  risk: { role: 'seller', scope: 'shops', params: (s) => ({ shop: s, min_score: 0 }) },
}
