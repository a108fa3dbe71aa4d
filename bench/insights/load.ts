// Loads a backfilled demo shop (ingest/demo/history.ts) straight into the embedded engine:
// the rows land in `orders` by INSERT, so every materialized view fills its rollup as in
// production. Returns the anomaly labels and per-hour net revenue the generator produced.
import type { ClickHouseClient } from '@clickhouse/client'
import { shopHistory, type ShopHistoryOptions } from '../../ingest/demo/history.ts'
import type { AnomalyLabel } from '../../ingest/demo/anomalies.ts'
import type { OrderEvent } from '../../ingest/demo/types.ts'

export interface LoadedShop {
  shopId: string
  lines: number
  labels: AnomalyLabel[]
}

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
const row = (o: OrderEvent) => ({ ...o, ts: iso(o.ts), unit_cost: o.unit_cost ?? null, country: o.country ?? '' })

export async function loadShopHistory(ch: ClickHouseClient, o: ShopHistoryOptions, insertRows = 100_000): Promise<LoadedShop> {
  const labels: AnomalyLabel[] = []
  let pending: OrderEvent[] = []
  let lines = 0
  let shopId = ''
  const flush = async () => {
    if (!pending.length) return
    await ch.insert({ table: 'orders', values: pending.map(row), format: 'JSONEachRow' })
    lines += pending.length
    pending = []
  }
  for (const batch of shopHistory(o)) {
    shopId ||= batch.orders[0]?.shop_id ?? ''
    pending.push(...batch.orders)
    labels.push(...batch.labels)
    if (pending.length >= insertRows) await flush()
  }
  await flush()
  return { shopId, lines, labels }
}
