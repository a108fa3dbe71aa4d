// Overload against the real gateway (in this process, so a CPU hog on this event loop is the
// gateway's overload): ingestion is refused with a clear 503 OVERLOADED and Retry-After,
// every row it accepted is stored, and it admits everything again once the load is gone.
// Shedding protects watchers, so it happens only while a live client is connected.
import { expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { auth, ingest, rows } from '../../test/support/gateway.ts'
import { liveGatewayForFile } from '../../test/support/live-file.ts'

// The default threshold (50 ms), far from both sides: the hog below makes the gauge read about
// 110 ms, a calm process reads 0-5, and a busy host only makes the calm steps noisier.
const file = liveGatewayForFile({ INGEST_SHED_LOOP_DELAY_MS: '50', INGEST_SHED_TICK_MS: '0' })

const symbol = 'OVERLOAD'
let sent = 0
let accepted = 0
/** One request of 2,000 trades (about 200 KB, so a refused body arrives in several chunks); counts what was accepted. */
async function post() {
  const batch = sent++
  const lines = Array.from({ length: 2000 }, (_, i) => ({ id: `ov-${batch}-${i}`, ts: Date.now() - 1000, symbol, price: 100 + i / 100, qty: 1, side: 'buy' }))
  const res = await ingest(file.gw, 'trades', lines)
  const body = (await res.json()) as { accepted?: number; error?: { code: string } }
  if (res.status === 200) accepted += body.accepted!
  return { status: res.status, retryAfter: res.headers.get('retry-after'), code: body.error?.code }
}

const stored = async () => Number((await rows<{ n: string }>(file.gw.clickhouse('ops'), 'SELECT count() AS n FROM trades WHERE symbol = {s:String}', { s: symbol }))[0].n)

/**
 * Keeps the event loop busy 450 ms of every 500 (one control step): a CPU-bound burst, as a flood
 * of work would. Recovery needs ten calm steps in a row once it stops, so calm must sit well below
 * the threshold on a loaded host: 150 of every 200 read about 29 ms, too close to any threshold
 * that a host's own noise leaves calm.
 */
function hogLoop() {
  const timer = setInterval(() => {
    const end = performance.now() + 450
    while (performance.now() < end);
  }, 500)
  return () => clearInterval(timer)
}

it('without a watcher a busy loop refuses nothing', async () => {
  expect(file.gw.live.stats().connections).toBe(0)
  const stop = hogLoop()
  try {
    // Three control steps (one per 500 ms) see the lagging loop while requests keep coming.
    const { steps } = file.gw.admission.stats()
    const statuses: number[] = []
    await eventually(async () => {
      statuses.push((await post()).status)
      expect(file.gw.admission.stats().steps).toBeGreaterThanOrEqual(steps + 3)
    }, { timeoutMs: 120_000, intervalMs: 0 })
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    expect(file.gw.admission.stats()).toMatchObject({ share: 1, refused: 0 })
  } finally {
    stop()
  }
}, 300_000)

it('sheds ingestion with 503 OVERLOADED + Retry-After under overload, loses no accepted row, and recovers', async () => {
  const watcher = await file.connect({ token: await auth.sign({ sub: 'overload-watcher', roles: ['trader'], symbols: ['*'], shops: [] }, '1h') })
  watcher.subscribe(1, 'candles', { symbol, interval: '1s' })
  await eventually(() => expect(file.gw.live.stats().connections).toBe(1))
  // Not asserted: on a busy machine the lagging loop may already be shedding before the hog starts.
  await post()
  const stop = hogLoop()
  let refusal
  try {
    refusal = await eventually(async () => {
      const answer = await post()
      expect(answer.status).toBe(503)
      return answer
    }, { timeoutMs: 120_000, intervalMs: 0 })
    expect(file.gw.admission.stats().share).toBeLessThan(1)
  } finally {
    stop()
  }
  expect(refusal).toEqual({ status: 503, retryAfter: '1', code: 'OVERLOADED' })

  // The load is gone: the admitted share climbs back to all, and requests are taken again.
  await eventually(() => expect(file.gw.admission.stats().share).toBe(1), { timeoutMs: 120_000 })
  await eventually(async () => expect((await post()).status).toBe(200), { timeoutMs: 120_000 })
  expect(file.gw.admission.stats().refused).toBeGreaterThan(0)
  expect(accepted).toBeGreaterThan(0)
  await eventually(async () => expect(await stored()).toBe(accepted), { timeoutMs: 60_000, intervalMs: 250 })
}, 300_000)
