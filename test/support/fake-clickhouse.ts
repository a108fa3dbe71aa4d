// A stand-in ClickHouse for unit tests of the live path: it answers the `sales` channel's
// SQL (api/live/channels.ts, parameters inlined) from rows the test owns.
import type { ClickHouseClient } from '@clickhouse/client'
import type { Cell } from '../../api/protocol/index.ts'

/** The `sales` rows of every shop (what ClickHouse would aggregate), and failures to inject. */
export function fakeClickHouse() {
  const db = { rows: new Map<string, Map<string, Cell[]>>(), failLoads: new Map<string, number>(), reads: 0 }
  const ch = {
    query: async ({ query }: { query: string }) => {
      db.reads++
      const shop = /shop_id = CAST\('([^']*)' AS String\)/.exec(query)?.[1] ?? ''
      const since = Number(/intDiv\(CAST\((-?\d+) AS Int64\), 1000\)/.exec(query)?.[1] ?? 0)
      const failing = db.failLoads.get(shop) ?? 0
      if (failing > 0) {
        db.failLoads.set(shop, failing - 1)
        throw new Error('injected ClickHouse failure')
      }
      const rows = [...(db.rows.get(shop)?.values() ?? [])].filter((r) => (r[0] as number) >= Math.floor(since / 1000) * 1000)
      rows.sort((a, b) => (b[0] as number) - (a[0] as number) || String(a[1]).localeCompare(String(b[1])))
      return { json: async () => rows.map((r) => [...r]) }
    },
  } as unknown as ClickHouseClient
  const put = (shop: string, t: number, currency: string, revenue: number) => {
    if (!db.rows.has(shop)) db.rows.set(shop, new Map())
    db.rows.get(shop)!.set(`${t}/${currency}`, [t, currency, revenue, 0, 1, 1, 1, revenue])
  }
  return { db, ch, put }
}

