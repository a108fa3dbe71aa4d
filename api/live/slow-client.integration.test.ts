// Slow clients: a client whose socket stops reading is conflated (no deltas, one fresh
// snapshot once it drains) and disconnected past the hard limit.
import { expect, it } from 'vitest'
import { C, S } from '../protocol/index.ts'
import { eventually } from '../../test/support/eventually.ts'
import { ingest, tokenFor } from '../../test/support/gateway.ts'
import { liveGatewayForFile } from '../../test/support/live-file.ts'
import { LiveClient } from '../../test/support/live-client.ts'

const live = liveGatewayForFile({
  LIVE_TICK_MS: '100', LIVE_MAX_FRAMES_PER_S: '10000', LIVE_SLOW_CLIENT_BYTES: '65536', LIVE_MAX_CLIENT_BUFFER_BYTES: '50331648',
})

/** A client of `symbol`'s 1 s candles with a full snapshot, whose socket then stops reading and asks for `resyncs` snapshots. */
async function stalledClient(symbol: string, resyncs: number) {
  // 240 one-second buckets: a ~20 KB snapshot per RESYNC; loopback TCP buffers here absorb ~37 MB first.
  // Dated from now, just before subscribing: the snapshot holds the last 300 s, and buckets dated
  // when the file loaded had partly aged out of it by the time a slow start or the first test was over.
  const start = Math.floor(Date.now() / 1000) * 1000 - 250_000
  expect((await ingest(live.gw, 'trades', Array.from({ length: 240 }, (_, i) => ({ id: `${symbol}-s${i}`, ts: start + i * 1000, symbol, price: 100 + i / 8, qty: 1 + i, side: 'buy' })))).status).toBe(200)
  const c = await live.connect({ token: await tokenFor(['trader']) })
  c.subscribe(1, 'candles', { symbol, interval: '1s' })
  await eventually(() => expect(c.subs.get(1)?.rows.size).toBeGreaterThanOrEqual(240), { timeoutMs: 120_000 })
  const socket = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket
  socket.pause()
  for (let i = 0; i < resyncs; i++) c.send({ op: C.RESYNC, sid: 1 })
  return { c, resume: () => socket.resume() }
}

it('conflates a stalled client and catches it up with a snapshot once it drains', async () => {
  const symbol = 'SLOW-A'
  const { c, resume } = await stalledClient(symbol, 2500)
  const before = live.gw.live.stats().conflated
  let i = 0
  await eventually(async () => {
    await ingest(live.gw, 'trades', [{ id: `x${i}`, ts: Date.now() - 500, symbol, price: 50 + i++, qty: 1, side: 'sell' }])
    expect(live.gw.live.stats().conflated).toBeGreaterThan(before)
  }, { intervalMs: 200, timeoutMs: 120_000 })
  const deltasBefore = c.frames.length
  resume()
  await eventually(() => {
    const snapshotsAfterResume = c.frames.slice(deltasBefore).filter((f) => f.type === S.SNAPSHOT).length
    expect(snapshotsAfterResume).toBeGreaterThan(0)
  }, { timeoutMs: 120_000 })
  expect(c.closeCode).toBeUndefined()
  const last = 50 + i - 1
  await eventually(() => expect(c.rows(1).at(-1)![4]).toBe(last), { timeoutMs: 120_000 })
}, 300_000)

it('disconnects a client that stays over the hard limit', async () => {
  const symbol = 'SLOW-B'
  const { c, resume } = await stalledClient(symbol, 6000)
  const before = live.gw.live.stats().disconnectedSlow
  let i = 0
  await eventually(async () => {
    await ingest(live.gw, 'trades', [{ id: `y${i++}`, ts: Date.now() - 500, symbol, price: 70, qty: 1, side: 'sell' }])
    expect(live.gw.live.stats().disconnectedSlow).toBeGreaterThan(before)
  }, { intervalMs: 200, timeoutMs: 120_000 })
  resume()
  // The client first reads everything the kernel buffered while it was paused: minutes on a loaded machine.
  await eventually(() => expect([4408, 1006]).toContain(c.closeCode), { timeoutMs: 180_000 })
}, 300_000)
