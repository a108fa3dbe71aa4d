import { describe, expect, it } from 'vitest'
import { loadCatalog } from './catalog.ts'
import { createSourceGraph } from './sources.ts'

describe('the raw tables behind each catalog query (from the migrations\' views)', () => {
  const graph = createSourceGraph()
  it('knows the versioned raw tables', () => expect(graph.all).toEqual(['dead_letters', 'orders', 'trades', 'web_events']))

  it('maps every shipped catalog query to the raw tables its rollups are fed from', () => {
    const sources = Object.fromEntries([...loadCatalog().values()].map((q) => [q.name, q.sources.join(',')]))
    expect(sources).toMatchObject({
      candles: 'trades', trades: 'trades', symbol_stats: 'trades', top_movers: 'trades',
      sales_overview: 'orders', sales_trend: 'orders', top_products: 'orders', product_performance: 'orders',
      category_breakdown: 'orders', profitability: 'orders', customer_ltv: 'orders', retention_cohorts: 'orders',
      funnel: 'web_events', dead_letters_summary: 'dead_letters',
    })
  })

  it('a table the views do not explain makes a query depend on every source', () => {
    expect(graph.of('SELECT * FROM sales_1h AS s JOIN some_new_table AS t ON 1')).toEqual(graph.all)
    expect(graph.of('WITH x AS (SELECT 1) SELECT * FROM x')).toEqual(graph.all)
    expect(graph.of('SELECT number FROM system.numbers')).toEqual(graph.all)
    expect(graph.of('select * from candles_1m')).toEqual(['trades'])
  })
})
