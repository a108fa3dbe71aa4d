// Dead-letter listing and replay for admins against the real engine (issue 17, item 7).
import { describe, expect, it } from 'vitest'
import { formatMs } from '../../core/events.ts'
import { ingest, rows, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'

const file = gatewayForFile()

interface Listed { id: string; stream: string; error_code: string; raw: string; replayed_at: string | null }
interface Replayed { stored: number; rejected: number; already_replayed: number; not_found: number; results: { id: string; outcome: string; error?: { code: string } }[] }

const admin = async () => ({ authorization: `Bearer ${await tokenFor(['admin'])}` })
const list = async (query: string) => {
  const res = await fetch(`${file.gw.url}/api/v1/dead-letters?${query}`, { headers: await admin() })
  expect(res.status).toBe(200)
  return (await res.json()) as { dead_letters: Listed[]; next_cursor: string | null }
}
const replay = async (body: string, type: string): Promise<Replayed> => {
  const res = await fetch(`${file.gw.url}/api/v1/dead-letters/replay`, { method: 'POST', body, headers: { ...(await admin()), 'content-type': type } })
  expect(res.status).toBe(200)
  return (await res.json()) as Replayed
}
const count = async (symbol: string) => Number((await rows<{ n: string }>(file.gw.clickhouse('ops'), `SELECT count() AS n FROM trades WHERE symbol = '${symbol}'`))[0].n)
const trade = (id: string, symbol: string, extra: object = {}) => ({ id, ts: Date.now() - 1000, symbol, price: 5, qty: 1, side: 'buy', ...extra })

describe('GET /api/v1/dead-letters', () => {
  it('lists letters newest first, filtered, page by page without gaps or repeats; admins only', async () => {
    const lines = Array.from({ length: 5 }, (_, i) => trade(`page-${i}`, 'PAGE', { side: 'short' }))
    await ingest(file.gw, 'trades', [...lines, '{broken'])
    const seen: Listed[] = []
    let cursor: string | null = ''
    while (cursor !== null) {
      const page = await list(`stream=trades&error_code=INVALID_VALUE&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.dead_letters.length).toBeLessThanOrEqual(2)
      seen.push(...page.dead_letters)
      cursor = page.next_cursor
    }
    expect(seen.filter((l) => l.raw.includes('"PAGE"')).map((l) => JSON.parse(l.raw).id).sort()).toEqual(lines.map((l) => l.id).sort())
    expect(new Set(seen.map((l) => l.id)).size).toBe(seen.length)
    expect(seen.every((l) => l.error_code === 'INVALID_VALUE' && l.stream === 'trades' && l.replayed_at === null && /^[0-9a-f]{32}$/.test(l.id))).toBe(true)
    const seller = await fetch(`${file.gw.url}/api/v1/dead-letters`, { headers: { authorization: `Bearer ${await tokenFor(['seller'])}` } })
    expect(seller.status).toBe(403)
    const bad = await fetch(`${file.gw.url}/api/v1/dead-letters?stream=nope`, { headers: await admin() })
    expect(bad.status).toBe(400)
  })
})

describe('POST /api/v1/dead-letters/replay', () => {
  it('replays a corrected line once: a second replay is already_replayed, a still-bad correction is rejected and the letter stays', async () => {
    await ingest(file.gw, 'trades', [trade('fix-1', 'FIX', { price: -5 }), trade('fix-2', 'FIX', { price: -6 })])
    const letters = (await list('stream=trades&error_code=OUT_OF_RANGE')).dead_letters.filter((l) => l.raw.includes('"FIX"'))
    const byTradeId = Object.fromEntries(letters.map((l) => [JSON.parse(l.raw).id, l.id]))
    const ndjson = (items: [string, object][]) => items.map(([id, event]) => JSON.stringify({ id, event })).join('\n')

    const first = await replay(ndjson([[byTradeId['fix-1'], trade('fix-1', 'FIX', { price: 5 })], [byTradeId['fix-2'], trade('fix-2', 'FIX', { price: -1 })]]), 'application/x-ndjson')
    expect(first).toMatchObject({ stored: 1, rejected: 1 })
    expect(first.results[1]).toMatchObject({ outcome: 'rejected', error: { code: 'OUT_OF_RANGE' } })
    const again = await replay(ndjson([[byTradeId['fix-1'], trade('fix-1', 'FIX', { price: 7 })], [byTradeId['fix-2'], trade('fix-2', 'FIX', { price: 6 })]]), 'application/x-ndjson')
    expect(again).toMatchObject({ stored: 1, already_replayed: 1 })
    expect(await count('FIX')).toBe(2)
    const listed = (await list('stream=trades&error_code=OUT_OF_RANGE')).dead_letters.filter((l) => l.raw.includes('"FIX"'))
    expect(listed.every((l) => l.replayed_at !== null)).toBe(true)
  })

  it('replays by id after a schema fix, once, even when two replays of the same letter run at once', async () => {
    // A letter of a line an earlier rule refused and today's accepts (written as that version did).
    const raw = JSON.stringify({ id: 'old-rule', ts: formatMs(Date.now() - 1000), symbol: 'SCHEMA', price: 3, qty: 1, side: 'buy' })
    await file.gw.clickhouse('ops').insert({ table: 'dead_letters', values: [{ stream: 'trades', raw, error_code: 'OLD_RULE', error_message: 'line 1: refused by a rule since fixed', source: 'http' }], format: 'JSONEachRow' })
    const [letter] = (await list('error_code=OLD_RULE')).dead_letters
    const body = JSON.stringify({ ids: [letter.id, 'f'.repeat(32)] })
    const [a, b] = await Promise.all([replay(body, 'application/json'), replay(body, 'application/json')])
    expect(a.stored + b.stored + a.already_replayed + b.already_replayed).toBeGreaterThanOrEqual(2)
    expect([a.not_found, b.not_found]).toEqual([1, 1])
    expect(await count('SCHEMA')).toBe(1)
    expect(await replay(JSON.stringify({ ids: [letter.id] }), 'application/json')).toMatchObject({ already_replayed: 1, stored: 0 })
    expect(await count('SCHEMA')).toBe(1)
    expect(Number((await rows<{ n: string }>(file.gw.clickhouse('ops'), "SELECT sum(trades) AS n FROM candles_1m WHERE symbol = 'SCHEMA'"))[0].n)).toBe(1)
  })

  it('refuses a body that is neither ids nor corrected lines', async () => {
    const res = await fetch(`${file.gw.url}/api/v1/dead-letters/replay`, { method: 'POST', body: '{"ids":["nope"]}', headers: { ...(await admin()), 'content-type': 'application/json' } })
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([400, 'INVALID_REPLAY'])
  })
})
