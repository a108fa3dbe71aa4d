import type { Widget } from '../../../api/dashboards/schema.ts'
import { query } from '../api.ts'

// The server's schema is the source of truth; only its types cross into the browser.
export type { Dashboard, Widget } from '../../../api/dashboards/schema.ts'

export const widgetId = () => `w${Math.random().toString(36).slice(2, 10)}`

/** Starting points; the trader one asks the API for a symbol the user may see. */
export async function template(kind: 'trader' | 'seller' | 'blank'): Promise<{ name: string; widgets: Widget[] }> {
  if (kind === 'blank') return { name: 'My dashboard', widgets: [] }
  if (kind === 'seller') {
    return {
      name: 'Sales overview',
      widgets: [
        { id: widgetId(), type: 'number', title: 'Revenue (24 h)', query: 'sales_overview', params: {}, x: 0, y: 0, w: 4, h: 2 },
        { id: widgetId(), type: 'line', title: 'Revenue per hour', query: 'sales_trend', params: { metric: 'revenue', interval: '1h' }, x: 4, y: 0, w: 8, h: 4 },
        { id: widgetId(), type: 'table', title: 'Top products', query: 'top_products', params: {}, x: 0, y: 4, w: 6, h: 4 },
        { id: widgetId(), type: 'bar', title: 'Categories', query: 'category_breakdown', params: {}, x: 6, y: 4, w: 6, h: 4 },
      ],
    }
  }
  const stats = await query('symbol_stats').catch(() => undefined)
  const symbol = String(stats?.rows[0]?.symbol ?? 'BTC-USD')
  return {
    name: 'Markets',
    widgets: [
      { id: widgetId(), type: 'candles', title: `${symbol} 1m`, query: 'candles', params: { symbol, interval: '1m' }, x: 0, y: 0, w: 8, h: 4 },
      { id: widgetId(), type: 'table', title: 'Top movers', query: 'top_movers', params: {}, x: 8, y: 0, w: 4, h: 4 },
      { id: widgetId(), type: 'table', title: 'Symbols (24 h)', query: 'symbol_stats', params: {}, x: 0, y: 4, w: 12, h: 4 },
    ],
  }
}
