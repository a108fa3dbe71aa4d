import { describe, expect, it } from 'vitest'
import type { Principal } from '../../core/roles.ts'
import { thrownCode } from '../../test/support/app-error.ts'
import { loadCatalog } from './catalog.ts'
import { resolveCall } from './params.ts'

const catalog = loadCatalog()
const admin: Principal = { sub: 'a', roles: new Set(['admin']), symbols: '*', shops: '*' }
const now = Date.parse('2026-03-01T12:00:30Z')

describe('relative times', () => {
  it('a relative time before the epoch or past 2100 is 400 INVALID_PARAMETER, not an engine error', () => {
    const candles = catalog.get('candles')!
    for (const from of ['now-999999w', '-999999w', 'now-99999d', '-2950w']) {
      expect(thrownCode(() => resolveCall(candles, { symbol: 'BTC-USD', from }, admin, now)), from).toBe('400 INVALID_PARAMETER')
    }
    expect(thrownCode(() => resolveCall(catalog.get('symbol_stats')!, { to: 'now-999999w' }, admin, now))).toBe('400 INVALID_PARAMETER')
  })

  it('relative times inside the range still resolve to bucket starts', () => {
    const call = resolveCall(catalog.get('candles')!, { symbol: 'BTC-USD', from: 'now-52w', interval: '1h' }, admin, now)
    expect(call.bound.from).toBe('2025-03-02 12:00:00.000')
    expect(call.bound.to).toBe('2026-03-01 13:00:00.000')
  })
})

describe('what a call covers (for the data versions in its cache key)', () => {
  const ms = (s: string) => Date.parse(s)
  it('a closed range covers its event times; sales_overview its previous period too; a window its window', () => {
    const overview = resolveCall(catalog.get('sales_overview')!, { from: '2026-02-01T00:00:00Z', to: '2026-02-02T00:00:00Z' }, admin, now)
    expect([overview.closed, overview.covers]).toEqual([true, [ms('2026-01-31T00:00:00Z'), ms('2026-02-02T00:00:00Z')]])
    const stats = resolveCall(catalog.get('symbol_stats')!, { to: '2026-02-02T00:00:00Z', window: '2h' }, admin, now)
    expect([stats.closed, stats.covers]).toEqual([true, [ms('2026-02-01T22:00:00Z'), ms('2026-02-02T00:00:00Z')]])
    expect(resolveCall(catalog.get('customer_ltv')!, {}, admin, now).covers).toBeUndefined()
  })

  it('a range over the open bucket is not closed (it lives open_ttl instead)', () => {
    expect(resolveCall(catalog.get('sales_trend')!, { from: '-1h', to: 'now' }, admin, now).closed).toBe(false)
    expect(resolveCall(catalog.get('customer_ltv')!, {}, admin, now).closed).toBe(false)
  })
})
