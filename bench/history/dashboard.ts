// The dashboard both history scenarios load: 50 sellers over 5 shop scopes, each asking for the same 8 widgets.
import { auth } from '../../test/support/gateway.ts'

const shopsOf = [['shop-a'], ['shop-b'], ['shop-a', 'shop-b'], ['*'], ['shop-a']]

export const dashboardSellers = () =>
  Promise.all(Array.from({ length: 50 }, (_, u) => auth.sign({ sub: `seller-${u}`, roles: ['seller', 'trader'], symbols: ['*'], shops: shopsOf[u % 5] }, '1h')))

export const dashboardWidgets = [
  '/api/v1/q/sales_overview?from=-24h&to=now', '/api/v1/q/sales_trend?metric=revenue&interval=1h&from=-24h&to=now',
  '/api/v1/q/top_products?by=revenue&from=-7d&to=now', '/api/v1/q/category_breakdown?from=-7d&to=now',
  '/api/v1/q/funnel?from=-24h&to=now', '/api/v1/q/profitability?from=-7d&to=now&interval=1d',
  '/api/v1/q/candles?symbol=BTC-USD&interval=1m&from=-6h&to=now', '/api/v1/q/symbol_stats',
]
