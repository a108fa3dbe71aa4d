// The `risk` channel: order lines of one shop scoring at least `min_score` (80 flags a line),
// as they arrive. A tape of the newest lines, scored by the same view as the order_risk catalog
// query (clickhouse/views/021_create_insight_order_risk.sql), so live and history agree.
// Each read scores at most the last `windowMinutes` of lines: flagged lines are rare, so the
// tape's watermark can be hours old, and rescoring hours of lines every tick would cost the
// live path dearly. Older flagged lines come from the order_risk catalog query. The shop's
// baselines come from the minutely snapshot (as order_risk's for a range ending now).
import { z } from 'zod'
import { identifierSchema } from '../../core/identifiers.ts'
import type { ChannelSpec } from './channels.ts'

const riskParams = z.object({
  shop: identifierSchema('shop'),
  min_score: z.number().int().min(0).max(100).default(80),
}).strict()

const windowMinutes = 2

export const riskChannel: ChannelSpec<z.infer<typeof riskParams>> = {
  name: 'risk',
  parse: (raw) => riskParams.parse(raw),
  topic: (p) => `risk/${p.min_score}/${p.shop}`,
  meta: { columns: ['t', 'order_id', 'product_id', 'customer_id', 'score', 'amount', 'currency', 'country', 'reasons'], key: [1, 2], time: 0 },
  mode: 'tape',
  bucketMs: () => 0,
  read: (p, sinceMs, limit) => ({
    // Lines from `since` (at most the window back) to a minute past now (clocks differ a little); baselines end there too.
    query: `SELECT toUnixTimestamp64Milli(ts), order_id, product_id, customer_id, toUInt8(score), amount, currency, country,
              arrayStringConcat(reasons, '; ')
            FROM insight_order_risk(shop = {shop:String},
              range_from = greatest(fromUnixTimestamp64Milli({since:Int64}, 'UTC'), now64(3, 'UTC') - INTERVAL ${windowMinutes} MINUTE),
              range_to = now64(3, 'UTC') + INTERVAL 1 MINUTE, customer = '', snapshot = 1)
            WHERE score >= {min:UInt8}
            ORDER BY ts DESC, order_id DESC, product_id DESC LIMIT {limit:UInt32}`,
    params: { shop: p.shop, since: sinceMs, min: p.min_score, limit },
  }),
}
