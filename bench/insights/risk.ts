// Precision and recall of order_risk against the planted anomalies' labels, day by day.
import type { AnomalyKind, AnomalyLabel } from '../../ingest/demo/anomalies.ts'
import type { LoadedShop } from './load.ts'
import type { CatalogRunner } from './scenario.ts'

export interface RiskResult {
  days: number
  /** Order lines scored (refund events are not). */
  lines: number
  labelled: number
  at80: { flagged: number; tp: number; precision: number; recall: number }
  recallByKind: Partial<Record<AnomalyKind, { n: number; hit: number; recall: number }>>
  curve: { threshold: number; precision: number; recall: number }[]
  /** The best recall a look-back score can reach on card testing: lines from a burst's fourth order in ten minutes on. */
  cardTestingCeiling: number
}

const day = 86_400_000
const key = (o: { order_id?: unknown; product_id?: unknown }) => `${o.order_id}/${o.product_id}`
const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 10_000) / 10_000)

export async function evaluateRisk(run: CatalogRunner, shop: LoadedShop, fromMs: number, toMs: number): Promise<RiskResult> {
  const scores = new Map<string, number>()
  let lines = 0
  for (let d = fromMs; d < toMs; d += day) {
    const range = { shop: shop.shopId, from: new Date(d).toISOString(), to: new Date(Math.min(d + day, toMs)).toISOString() }
    // Every line of the day from 0 up, so the count of scored lines is the engine's own.
    const rows = await run('order_risk', { ...range, min_score: '0', limit: '100000' })
    lines += rows.length
    for (const r of rows) if (Number(r.score) >= 50) scores.set(key(r), Number(r.score))
  }
  const labels = shop.labels.filter((l) => l.ts >= fromMs && l.ts < toMs)
  const labelled = new Set(labels.map(key))
  const at = (threshold: number) => {
    const flagged = [...scores].filter(([, s]) => s >= threshold)
    const tp = flagged.filter(([k]) => labelled.has(k)).length
    return { flagged: flagged.length, tp, precision: ratio(tp, flagged.length), recall: ratio(tp, labelled.size) }
  }
  const recallByKind: RiskResult['recallByKind'] = {}
  for (const l of labels) {
    const k = (recallByKind[l.kind] ??= { n: 0, hit: 0, recall: 0 })
    k.n++
    if ((scores.get(key(l)) ?? 0) >= 80) k.hit++
  }
  for (const k of Object.values(recallByKind)) k.recall = ratio(k.hit, k.n)
  return {
    days: Math.round((toMs - fromMs) / day), lines, labelled: labelled.size, at80: at(80), recallByKind,
    curve: [60, 70, 90].map((threshold) => ({ threshold, ...at(threshold) })), cardTestingCeiling: cardTestingCeiling(labels),
  }
}

function cardTestingCeiling(labels: AnomalyLabel[]): number {
  const testing = labels.filter((l) => l.kind === 'card_testing')
  const reachable = testing.filter((l) => {
    const earlier = new Set(testing.filter((x) => x.customer_id === l.customer_id && x.ts <= l.ts && x.ts >= l.ts - 600_000).map((x) => x.order_id))
    return earlier.size >= 4
  })
  return ratio(reachable.length, testing.length)
}
