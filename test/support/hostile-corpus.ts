// One corpus of hostile lines per stream, run through HTTP ingestion and through a producer
// writing straight to Kafka (ingest/kafka-consumer.integration.test.ts): both must keep and
// reject exactly the same lines, for the same reasons. `expect` is what each line should get.
import type { Stream } from '../../core/events.ts'

export interface CorpusLine {
  line: string
  /** 'OK' or the error code. */
  expect: string
}

const day = 86_400_000

/** The corpus, its timestamps relative to `nowMs` (retention moves with the clock); `tag` makes its ids unique per run. */
export function hostileCorpus(nowMs: number, tag: string): Record<Stream, CorpusLine[]> {
  const ts = nowMs - 60_000
  const t = (fields: Record<string, unknown>) => JSON.stringify({ id: `${tag}-t${Object.keys(fields).length}-${JSON.stringify(fields).length}`, ts, symbol: `${tag}.OK`, price: 10.5, qty: 2, side: 'buy', ...fields })
  const o = (fields: Record<string, unknown>) => JSON.stringify({ order_id: `${tag}-o`, ts, shop_id: `${tag} Store`, customer_id: 'c1', product_id: 'p1', category: 'toys', quantity: 1, unit_price: 9.99, status: 'completed', ...fields })
  const w = (fields: Record<string, unknown>) => JSON.stringify({ ts, session_id: `${tag}-s`, shop_id: `${tag}@eu`, type: 'view', ...fields })
  return {
    trades: [
      { line: t({ id: `${tag}-full`, venue: 'XNAS' }), expect: 'OK' },
      { line: JSON.stringify({ ts, symbol: `${tag}.NOID`, price: 1, qty: 1, side: 'sell' }), expect: 'OK' },
      { line: t({ id: `${tag}-round`, price: '12.345678905', qty: 0.123456789 }), expect: 'OK' },
      { line: t({ id: `${tag}-extra`, unknown: { nested: [1, 2] } }), expect: 'OK' },
      // Duplicate keys: JSON.parse keeps the last one, on both paths.
      { line: `{"id":"${tag}-dupkey","ts":${ts},"symbol":"${tag}.OK","price":-5,"qty":1,"side":"buy","price":5}`, expect: 'OK' },
      { line: `  ${t({ id: `${tag}-spaced` })}  \r`, expect: 'OK' },
      { line: t({ id: `${tag}-neg`, price: -5 }), expect: 'OUT_OF_RANGE' },
      { line: t({ id: `${tag}-lower`, symbol: 'acme corp' }), expect: 'INVALID_VALUE' },
      { line: t({ id: `${tag}-tiny`, price: 1e-300 }), expect: 'OUT_OF_RANGE' },
      { line: t({ id: `${tag}-secs`, ts: Math.floor(nowMs / 1000) }), expect: 'OUT_OF_RANGE' },
      { line: t({ id: `${tag}-feb30`, ts: '2026-02-30T10:00:00Z' }), expect: 'INVALID_VALUE' },
      { line: t({ id: `${tag}-old`, ts: nowMs - 400 * day }), expect: 'OUT_OF_RETENTION' },
      { line: t({ id: `${tag}-side`, side: 'short' }), expect: 'INVALID_VALUE' },
      { line: t({ id: `${tag}-ten`, price: 'ten' }), expect: 'INVALID_TYPE' },
      { line: `{"id":"${tag}-huge","ts":${ts},"symbol":"${tag}.OK","price":1,"qty":1e400,"side":"buy"}`, expect: 'OUT_OF_RANGE' },
      { line: t({ id: `${tag}-long`, symbol: 'A'.repeat(33) }), expect: 'OUT_OF_RANGE' },
      { line: `{"id":"${tag}-x\\ud800","ts":${ts},"symbol":"${tag}.OK","price":1,"qty":1,"side":"buy"}`, expect: 'INVALID_VALUE' },
      { line: t({ id: `${tag}-nul`, venue: 've\u0000nue' }), expect: 'INVALID_VALUE' },
      { line: t({ id: `${tag}-noside`, side: null }), expect: 'MISSING_FIELD' },
      { line: '{not json', expect: 'INVALID_JSON' },
      { line: `\ufeff${t({ id: `${tag}-bom` })}`, expect: 'INVALID_JSON' },
      { line: '[1,2,3]', expect: 'NOT_AN_OBJECT' },
      { line: '"just a string"', expect: 'NOT_AN_OBJECT' },
      { line: 'null', expect: 'NOT_AN_OBJECT' },
      { line: '{}', expect: 'MISSING_FIELD' },
    ],
    orders: [
      { line: o({ order_id: `${tag}-o1`, unit_price: 0.123456789, unit_cost: '0.05' }), expect: 'OK' },
      { line: o({ order_id: `${tag}-o2`, ts: '2001-02-03T04:05:06Z' }), expect: 'OK' },
      { line: o({ order_id: `${tag}-o3`, customer_id: ' c1' }), expect: 'INVALID_VALUE' },
      { line: o({ order_id: `${tag}-o4`, quantity: 1.5 }), expect: 'INVALID_VALUE' },
      { line: o({ order_id: `${tag}-o5`, currency: 'usd' }), expect: 'INVALID_VALUE' },
      { line: o({ order_id: `${tag}-o6`, status: 'shipped' }), expect: 'INVALID_VALUE' },
      { line: `{"order_id":"${tag}-o7","ts":${ts},"shop_id":"s","customer_id":"c","product_id":"p","category":"x\\ud83d","quantity":1,"unit_price":1,"status":"completed"}`, expect: 'INVALID_VALUE' },
      { line: o({ order_id: `${tag}-o8`, unit_cost: -1 }), expect: 'OUT_OF_RANGE' },
      { line: o({ order_id: `${tag}-o9`, quantity: 0 }), expect: 'OUT_OF_RANGE' },
    ],
    web_events: [
      { line: w({ customer_id: 'c1', product_id: 'p1' }), expect: 'OK' },
      { line: w({ type: 'click' }), expect: 'INVALID_VALUE' },
      { line: w({ session_id: '' }), expect: 'INVALID_VALUE' },
      { line: w({ ts: nowMs - 400 * day }), expect: 'OUT_OF_RETENTION' },
    ],
  }
}
