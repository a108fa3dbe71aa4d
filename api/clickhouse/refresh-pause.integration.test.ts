// The insights' refreshable views pause on the real embedded engine while no orders arrive, and
// run again as soon as one is written.
import { expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { ingest, rows } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'

const file = gatewayForFile({ INSIGHTS_IDLE_CHECK_MS: '200', INSIGHTS_IDLE_REFRESH_MS: '3600000' })

const statuses = async () => (await rows<{ status: string }>(file.gw.clickhouse('ops'), "SELECT DISTINCT status FROM system.view_refreshes WHERE database = 'insights'")).map((r) => r.status).sort()

it('stops the insights views without new orders and starts them when an order arrives', async () => {
  await eventually(async () => expect(await statuses()).toEqual(['Disabled']), { timeoutMs: 60_000 })
  const order = { order_id: 'rp-1', ts: Date.now() - 1000, shop_id: 'rp-shop', customer_id: 'c1', product_id: 'p1', category: 'toys', quantity: 1, unit_price: 5, status: 'completed' }
  expect((await ingest(file.gw, 'orders', [order])).status).toBe(200)
  await eventually(async () => expect(await statuses()).not.toContain('Disabled'), { timeoutMs: 60_000, intervalMs: 20 })
  await eventually(async () => expect(await statuses()).toEqual(['Disabled']), { timeoutMs: 60_000 })
}, 200_000)
