// views/009 adds customer_refunds to a data directory that already holds orders: its
// backfill must bring the refunds stored before it, once, and new refunds then flow
// through the materialized view.
import type { ClickHouseClient } from '@clickhouse/client'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createClickHouse } from '../../api/clickhouse/client.ts'
import { applyMigrations, migrationDirs } from '../../api/clickhouse/migrate.ts'

let dir: string
let ch: ClickHouseClient
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lh-backfill-'))
  ch = createClickHouse({ dataDir: join(dir, 'data') }, 'ops')
})
afterAll(async () => {
  await ch?.close()
  rmSync(dir, { recursive: true, force: true })
})

const order = (id: string, customer: string, qty: number, status: string) =>
  ({ order_id: id, ts: '2025-06-01 10:00:00.000', shop_id: 's', customer_id: customer, product_id: 'p', category: 'c', quantity: qty, unit_price: '10.5', unit_cost: '4', currency: 'USD', status })
const refunds = async () => (await ch.query({ query: 'SELECT customer_id, sum(refunds) AS r, sum(returned_units) AS u, sum(refund_lines) AS n FROM customer_refunds GROUP BY customer_id ORDER BY customer_id', format: 'JSONCompactEachRow' })).json()

it('backfills the refunds stored before the view, once, then follows new ones', async () => {
  // The migrations as they were before views/009: same folder names, so their records match.
  const [schema, views] = migrationDirs
  const before = join(dir, 'before')
  mkdirSync(join(before, 'views'), { recursive: true })
  cpSync(schema, join(before, 'schema'), { recursive: true })
  for (const f of readdirSync(views).filter((f) => f < '009_')) cpSync(join(views, f), join(before, 'views', f))
  await applyMigrations(ch, { dirs: [join(before, 'schema'), join(before, 'views')] })
  await ch.insert({ table: 'orders', format: 'JSONEachRow', values: [order('o1', 'c1', 2, 'completed'), order('o1', 'c1', 1, 'refunded'), order('o2', 'c2', 3, 'refunded'), order('o3', 'c2', 1, 'cancelled')] })

  expect(await applyMigrations(ch)).toContain('views/009_create_customer_refunds.sql')
  expect(await refunds()).toEqual([['c1', 10.5, 1, 1], ['c2', 31.5, 3, 1]])
  await ch.insert({ table: 'orders', format: 'JSONEachRow', values: [order('o4', 'c1', 1, 'refunded')] })
  expect(await refunds()).toEqual([['c1', 21, 2, 2], ['c2', 31.5, 3, 1]])
  expect(await applyMigrations(ch)).toEqual([]) // applied once: a restart does not backfill again
  expect(await refunds()).toEqual([['c1', 21, 2, 2], ['c2', 31.5, 3, 1]])
})
