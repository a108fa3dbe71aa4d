import { describe, expect, it } from 'vitest'
import { AppError } from '../../core/errors.ts'
import type { Principal } from '../../core/roles.ts'
import { loadCatalog } from './catalog.ts'
import { resolveCall } from './params.ts'

const catalog = loadCatalog()
const admin: Principal = { sub: 'a', roles: new Set(['admin']), symbols: '*', shops: '*' }
const now = Date.parse('2026-03-01T12:00:30Z')
const codeOf = (f: () => unknown) => {
  try {
    f()
    return 'resolved'
  } catch (e) {
    return e instanceof AppError ? `${e.status} ${e.code}` : String(e)
  }
}

describe('relative times', () => {
  it('a relative time before the epoch or past 2100 is 400 INVALID_PARAMETER, not an engine error', () => {
    const candles = catalog.get('candles')!
    for (const from of ['now-999999w', '-999999w', 'now-99999d', '-2950w']) {
      expect(codeOf(() => resolveCall(candles, { symbol: 'BTC-USD', from }, admin, now)), from).toBe('400 INVALID_PARAMETER')
    }
    expect(codeOf(() => resolveCall(catalog.get('symbol_stats')!, { to: 'now-999999w' }, admin, now))).toBe('400 INVALID_PARAMETER')
  })

  it('relative times inside the range still resolve to bucket starts', () => {
    const call = resolveCall(catalog.get('candles')!, { symbol: 'BTC-USD', from: 'now-52w', interval: '1h' }, admin, now)
    expect(call.bound.from).toBe('2025-03-02 12:00:00.000')
    expect(call.bound.to).toBe('2026-03-01 13:00:00.000')
  })
})
