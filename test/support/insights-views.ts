// The insights' refreshable views as the refresh-schedule tests watch them (api/clickhouse/refresh-schedule*).
import type { ClickHouseClient } from '@clickhouse/client'
import { rows } from './gateway.ts'

/** The distinct statuses of the insights views (`Disabled` while stopped), sorted. */
export const insightsViewStatuses = async (ch: ClickHouseClient) =>
  (await rows<{ status: string }>(ch, "SELECT DISTINCT status FROM system.view_refreshes WHERE database = 'insights'")).map((r) => r.status).sort()

/** The gateway's `livehouse_insights_refresh_paused` gauge: '1' while its schedule keeps the views stopped. */
export const insightsRefreshPaused = async (gw: { url: string }) =>
  /^livehouse_insights_refresh_paused (\d)$/m.exec(await (await fetch(`${gw.url}/metrics`)).text())?.[1]

/** One completed order line of `shop`, a second old. */
export const anOrder = (id: string, shop: string) =>
  ({ order_id: id, ts: Date.now() - 1000, shop_id: shop, customer_id: 'c1', product_id: 'p1', category: 'toys', quantity: 1, unit_price: 5, status: 'completed' })
