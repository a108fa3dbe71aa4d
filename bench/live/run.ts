// Live gateway benchmark: N clients × M candle channels over the MessagePack delta
// protocol vs a baseline of plain `ws` sending JSON full snapshots of the same channels
// on the same ticks, measured in one run. Load stays on 127.0.0.1, bounded in count and time.
// Usage: npx tsx bench/live/run.ts [clients=500] [channels=4] [seconds=15] [eventsPerS=2000]
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { WebSocketServer, WebSocket } from 'ws'
import { S, toRows } from '../../api/protocol/index.ts'
import { LiveClient } from '../../api/live/test-client.ts'
import { ingest, startInProcess, tokenFor } from '../../test/support/gateway.ts'

const [clients = 500, channels = 4, seconds = 15, eventsPerS = 2000] = process.argv.slice(2).map(Number)
if (clients > 10_000 || seconds > 120 || eventsPerS > 200_000) throw new Error('bench bounds: ≤10k clients, ≤120 s, ≤200k events/s')
const symbols = Array.from({ length: channels }, (_, i) => `BENCH-${i}`)

const gw = await startInProcess({ LIVE_TICK_MS: '250', LIVE_MAX_SUBSCRIPTIONS: '100' })
const token = await tokenFor(['trader'])

// Baseline: every time a live query publishes, send its full state as JSON to each baseline watcher.
const baseline = new WebSocketServer({ host: '127.0.0.1', port: 0 })
const baselineSubs = new Map<string, Set<WebSocket>>()
baseline.on('connection', (ws) => ws.on('message', (m) => {
  const topic = `candles/1s/${String(m)}`
  if (!baselineSubs.has(topic)) baselineSubs.set(topic, new Set())
  baselineSubs.get(topic)!.add(ws)
}))
gw.live.onPublish = (lq) => {
  const subs = baselineSubs.get(lq.topic)
  if (!subs?.size) return
  const block = lq.snapshot()
  const json = JSON.stringify({ channel: lq.topic, sentAt: Date.now(), columns: lq.spec.meta.columns, rows: toRows(block.cols, block.base, lq.spec.meta.time) })
  for (const ws of subs) ws.send(json)
}
await new Promise((r) => baseline.once('listening', r))
const baselinePort = (baseline.address() as { port: number }).port

interface Stats { latencies: number[]; frames: number; bytes: number }
const msgpack: Stats = { latencies: [], frames: 0, bytes: 0 }
const json: Stats = { latencies: [], frames: 0, bytes: 0 }
let measuring = false

const live: LiveClient[] = []
const plain: WebSocket[] = []
for (let i = 0; i < clients; i++) {
  const c = await LiveClient.connect(gw.url, { token })
  c.ws.on('message', (data: Buffer) => {
    const f = c.frames.at(-1)
    c.frames.length = 0
    if (!measuring || f?.type !== S.DELTA) return
    msgpack.frames++
    msgpack.bytes += data.byteLength
    msgpack.latencies.push(Date.now() - (f.base + f.sentOffset))
  })
  symbols.forEach((symbol, j) => c.subscribe(j + 1, 'candles', { symbol, interval: '1s' }))
  live.push(c)
  const ws = new WebSocket(`ws://127.0.0.1:${baselinePort}`)
  await new Promise((r) => ws.once('open', r))
  for (const s of symbols) ws.send(s)
  ws.on('message', (data: Buffer) => {
    if (!measuring) return
    json.frames++
    json.bytes += data.byteLength
    json.latencies.push(Date.now() - JSON.parse(String(data)).sentAt)
  })
  plain.push(ws)
}

// Trades near now, spread over the symbols; 300 s of history first so snapshots are full-size.
let n = 0
const now0 = Date.now()
for (const s of symbols) await ingest(gw, 'trades', Array.from({ length: 300 }, (_, k) => ({ id: `h${n++}`, ts: now0 - 300_000 + k * 1000, symbol: s, price: 100 + k / 10, qty: 1, side: 'buy' })))
await new Promise((r) => setTimeout(r, 1000))
measuring = true
const started = Date.now()
let ingested = 0
while (Date.now() - started < seconds * 1000) {
  const batch = Array.from({ length: Math.ceil(eventsPerS / 10) }, () => ({ id: `e${n++}`, ts: Date.now(), symbol: symbols[n % channels], price: 100 + (n % 50) / 10, qty: 1, side: n % 2 ? 'buy' : 'sell' }))
  await ingest(gw, 'trades', batch)
  ingested += batch.length
  await new Promise((r) => setTimeout(r, 100))
}
const elapsedS = (Date.now() - started) / 1000
measuring = false

const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : null)
const summary = (s: Stats) => ({
  frames: s.frames, framesPerS: Math.round(s.frames / elapsedS), bytesPerUpdate: s.frames ? Math.round(s.bytes / s.frames) : null,
  p50Ms: pct(s.latencies, 50), p99Ms: pct(s.latencies, 99),
})
const result = {
  date: new Date().toISOString(), clients, channels, seconds: elapsedS, eventsIngested: ingested, eventsPerS: Math.round(ingested / elapsedS),
  tickMs: 250, gateway: gw.live.stats(), msgpackDeltas: summary(msgpack), jsonSnapshotBaseline: summary(json),
  note: 'gateway, baseline server, load clients and ingestion share one process and 2 cores with other work; latency is publish→receive on one clock',
}
console.log(JSON.stringify(result, null, 2))
const dir = resolve(import.meta.dirname, '../results')
mkdirSync(dir, { recursive: true })
const day = result.date.slice(0, 10)
writeFileSync(join(dir, `${day}-live.json`), JSON.stringify(result, null, 2))
const m = result.msgpackDeltas, j = result.jsonSnapshotBaseline
writeFileSync(join(dir, `${day}-live.md`), `# Live gateway benchmark ${day}

${clients} clients × ${channels} candle channels (1s), ${result.eventsPerS} trades/s ingested for ${elapsedS.toFixed(0)} s, tick 250 ms.

| | frames | frames/s | bytes/update | p50 ms | p99 ms |
|---|---|---|---|---|---|
| MessagePack deltas (uWS) | ${m.frames} | ${m.framesPerS} | ${m.bytesPerUpdate} | ${m.p50Ms} | ${m.p99Ms} |
| JSON full snapshots (plain ws) | ${j.frames} | ${j.framesPerS} | ${j.bytesPerUpdate} | ${j.p50Ms} | ${j.p99Ms} |

${result.note}.
`)
for (const c of live) c.close()
for (const ws of plain) ws.close()
baseline.close()
await gw.stop()
process.exit(0)
