// Where the real gateway validates a large body (INGEST_PARSE_OFFLOAD=watched, the default): on its
// main thread while nobody watches (cheapest for bulk loads), on a parse thread once a live channel
// is watched (the main thread then serves the watchers). Either way every valid row is stored.
import { expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { auth, ingest, rows } from '../../test/support/gateway.ts'
import { liveGatewayForFile } from '../../test/support/live-file.ts'

const file = liveGatewayForFile({})
const symbol = 'OFFLOAD'

/** 200 trades and one bad line (about 20 KB: above INGEST_PARSE_THREAD_MIN_CHARS). */
async function post(batch: number) {
  const lines: (object | string)[] = Array.from({ length: 200 }, (_, i) => ({ id: `off-${batch}-${i}`, ts: Date.now() - 1000, symbol, price: 10 + i / 100, qty: 1, side: 'sell' }))
  lines.splice(100, 0, '{"not": "a trade"')
  const res = await ingest(file.gw, 'trades', lines)
  expect(res.status).toBe(200)
  expect(await res.json()).toMatchObject({ accepted: 200, rejected: 1, errors: [{ line: 101, code: 'INVALID_JSON' }] })
}

async function parsed() {
  const metrics = await (await fetch(`${file.gw.url}/metrics`)).text()
  const count = (on: string) => Number(new RegExp(`^livehouse_ingest_parsed_bodies_total\\{on="${on}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0)
  return { thread: count('thread'), main: count('main') }
}

it('validates on the main thread while nobody watches, on a parse thread while a channel is watched', async () => {
  await post(1)
  expect(await parsed()).toEqual({ thread: 0, main: 1 })

  const watcher = await file.connect({ token: await auth.sign({ sub: 'offload-watcher', roles: ['trader'], symbols: ['*'], shops: [] }, '1h') })
  watcher.subscribe(1, 'candles', { symbol, interval: '1s' })
  await eventually(() => expect(file.gw.live.stats().liveQueries).toBeGreaterThan(0))
  await post(2)
  expect(await parsed()).toEqual({ thread: 1, main: 1 })

  const stored = async () => Number((await rows<{ n: string }>(file.gw.clickhouse('ops'), 'SELECT count() AS n FROM trades WHERE symbol = {s:String}', { s: symbol }))[0].n)
  await eventually(async () => expect(await stored()).toBe(400), { timeoutMs: 60_000, intervalMs: 250 })
}, 120_000)
