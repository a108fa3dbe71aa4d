// A producer for the kill tests: sends numbered trades in batches, each batch with its own
// Idempotency-Key, and retries a batch (same key, same body) until it is answered 200, as a
// careful client would. What it was told is stored is what lost/duplicated are counted against.
import { setTimeout as sleep } from 'node:timers/promises'
import { tokenFor } from './gateway.ts'

export interface LoadOptions {
  /** Where to send now (a restarted gateway has a new address). */
  url: () => string
  symbol: string
  batches: number
  batchRows: number
  concurrency: number
}

export interface LoadResult {
  /** Trade ids answered 200. */
  accepted: Set<string>
  /** Answers that were not 200 (503, 409, connection errors), each followed by a retry. */
  retries: number
}

export function startLoad(o: LoadOptions) {
  const accepted = new Set<string>()
  let retries = 0
  let next = 0
  let stopped = false
  const batchOf = (b: number) => Array.from({ length: o.batchRows }, (_, i) => JSON.stringify({ id: `${o.symbol}-${b}-${i}`, ts: Date.now(), symbol: o.symbol, price: 1 + (i % 10), qty: 1, side: i % 2 ? 'buy' : 'sell' }))

  async function sendUntilAccepted(b: number) {
    const body = batchOf(b).join('\n') // built once: a retry sends the very same body
    const key = `${o.symbol}-batch-${b}`
    const token = await tokenFor(['ingest'])
    for (;;) {
      try {
        const res = await fetch(`${o.url()}/v1/events/trades`, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}`, 'idempotency-key': key }, signal: AbortSignal.timeout(30_000) })
        if (res.status === 200) {
          const answer = (await res.json()) as { accepted: number }
          if (answer.accepted !== o.batchRows) throw new Error(`batch ${b}: ${answer.accepted} of ${o.batchRows} accepted`)
          for (let i = 0; i < o.batchRows; i++) accepted.add(`${o.symbol}-${b}-${i}`)
          return
        }
        if (res.status < 500 && res.status !== 409) throw new Error(`batch ${b}: ${res.status} ${await res.text()}`)
        await res.arrayBuffer()
      } catch (e) {
        if ((e as Error).message.startsWith(`batch ${b}:`)) throw e
      }
      retries++
      if (stopped) return
      await sleep(200)
    }
  }

  const workers = Array.from({ length: o.concurrency }, async () => {
    while (!stopped && next < o.batches) await sendUntilAccepted(next++)
  })
  return {
    /** Batches answered 200 so far. */
    acceptedBatches: () => accepted.size / o.batchRows,
    /** Answers that were not 200 so far. */
    retries: () => retries,
    done: Promise.all(workers).then((): LoadResult => ({ accepted, retries })),
    stop: () => void (stopped = true),
  }
}

/** One row of the lost/duplicated table the kill tests print. */
export function killReport(failure: string, accepted: number, stored: number, distinct: number, lost: number, rollupTrades: number, retries: number) {
  const row = { failure, accepted, stored, lost, duplicated: stored - distinct, rollupTrades, retries }
  console.log(`KILL TEST | ${row.failure} | accepted ${row.accepted} | stored ${row.stored} | lost ${row.lost} | duplicated ${row.duplicated} | candles_1m trades ${row.rollupTrades} | client retries ${row.retries}`)
  return row
}
