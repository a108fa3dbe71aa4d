// The insights' refreshable views on a new data directory, on the real embedded engine: with no order
// at all they stop at the schedule's first look, and start again within seconds of the first order,
// however long the check interval (here an hour: the old schedule would not look before it).
import { expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { ingest, rows } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'

const file = gatewayForFile({ INSIGHTS_IDLE_CHECK_MS: '3600000', INSIGHTS_IDLE_REFRESH_MS: '3600000' })

const statuses = async () => (await rows<{ status: string }>(file.gw.clickhouse('ops'), "SELECT DISTINCT status FROM system.view_refreshes WHERE database = 'insights'")).map((r) => r.status).sort()

it('stops the insights views of a directory without orders at start, and starts them within seconds of the first order', async () => {
  await eventually(async () => expect(await statuses()).toEqual(['Disabled']), { timeoutMs: 60_000 })
  const order = { order_id: 'rs-1', ts: Date.now() - 1000, shop_id: 'rs-shop', customer_id: 'c1', product_id: 'p1', category: 'toys', quantity: 1, unit_price: 5, status: 'completed' }
  expect((await ingest(file.gw, 'orders', [order])).status).toBe(200)
  await eventually(async () => expect(await statuses()).not.toContain('Disabled'), { timeoutMs: 60_000, intervalMs: 200 })
  expect(/^livehouse_insights_refresh_paused (\d)$/m.exec(await (await fetch(`${file.gw.url}/metrics`)).text())?.[1]).toBe('0')
}, 150_000)
