// A load client process: `--count` WebSocket clients (minimal `net` clients, see
// ws-client.ts) against the gateway (MessagePack deltas) or the JSON baseline, each
// watching the same candle channels; 1 in `--probe-every` also watches the probe tape.
// Talks to the scenario by lines: prints {"event":"ready"}, reads "start" and "stop",
// then prints {"event":"result"} and exits.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { C, decode, encodeClientFrame, S } from '../../api/protocol/index.ts'
import { openWs, type MiniWs } from './ws-client.ts'

const { values: a } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    kind: { type: 'string', default: 'msgpack' },
    count: { type: 'string', default: '100' },
    symbols: { type: 'string' },
    probe: { type: 'string', default: 'PROBE' },
    'probe-every': { type: 'string', default: '50' },
    token: { type: 'string', default: '' },
    ramp: { type: 'string', default: '200' },
  },
})
const kind = a.kind as 'msgpack' | 'json'
const count = Number(a.count)
const symbols = a.symbols!.split(',')
const probeEvery = Number(a['probe-every'])
const port = Number(a.port)
const MAX_MS = 60_000

const stats = {
  connected: 0, failed: 0, closed: 0, connectMs: 0, updates: 0, updateBytes: 0, snapshots: 0, snapshotBytes: 0,
  errors: 0, gaps: 0, probeSamples: [] as number[],
}
const latency = new Uint32Array(MAX_MS + 1)
let measuring = false
let measureStarted = 0
const loopDelay = monitorEventLoopDelay({ resolution: 10 })

interface Client { ws?: MiniWs; seqByCid: Map<number, number>; probeCid: number; lastProbeT: number; probe: boolean }

const record = (ms: number) => (latency[ms < 0 ? 0 : ms > MAX_MS ? MAX_MS : ms]++)

function onMsgpack(c: Client, payload: Buffer) {
  const f = decode(payload) as any[]
  const type = f[0]
  if (type === S.DELTA) {
    const now = Date.now()
    const [, cid, seq, base, sentOffset, append] = f as [number, number, number, number, number, any[][] | null]
    const last = c.seqByCid.get(cid)
    if (last !== undefined && seq > last + 1 && measuring) stats.gaps++
    c.seqByCid.set(cid, seq)
    if (!measuring) return
    stats.updates++
    stats.updateBytes += payload.length
    record(now - (base + sentOffset))
    if (cid === c.probeCid && append) for (const off of append[0]) probeSample(c, base + off, now)
  } else if (type === S.SNAPSHOT) {
    const [, sid, cid, seq] = f
    c.seqByCid.set(cid, seq)
    if (sid === symbols.length + 1) c.probeCid = cid
    if (measuring) (stats.snapshots++, (stats.snapshotBytes += payload.length))
  } else if (type === S.ERROR) stats.errors++
}

function onJson(c: Client, payload: Buffer) {
  const now = Date.now()
  // Frames start {"sentAt":<ms>,"channel":"…": read those without parsing 15 kB per frame;
  // only the probe tape (a few clients) is parsed in full.
  const comma = payload.indexOf(44)
  const sentAt = Number(payload.toString('latin1', 10, comma))
  if (!measuring) return
  stats.updates++
  stats.updateBytes += payload.length
  record(now - sentAt)
  if (c.probe && payload.toString('latin1', comma + 12, comma + 19) === 'trades/') {
    const msg = JSON.parse(payload.toString()) as { rows: [number, string][] }
    for (const row of msg.rows) probeSample(c, row[0], now)
  }
}

/** Event → client: the probe trade's `ts` is its send time; count each newer trade once. */
function probeSample(c: Client, t: number, now: number) {
  if (t <= c.lastProbeT) return
  c.lastProbeT = t
  if (measuring && t >= measureStarted) stats.probeSamples.push(now - t)
}

async function open(i: number): Promise<void> {
  const c: Client = { seqByCid: new Map(), probeCid: -1, lastProbeT: Date.now(), probe: i % probeEvery === 0 }
  const channels = symbols.map((s) => `candles/1s/${s}`)
  if (c.probe) channels.push(`trades/${a.probe}`)
  const path = kind === 'json' ? `/?channels=${encodeURIComponent(channels.join(','))}` : '/ws'
  const headers: Record<string, string> = kind === 'msgpack' ? { Authorization: `Bearer ${a.token}`, 'Sec-WebSocket-Protocol': 'livehouse.v1' } : {}
  try {
    c.ws = await openWs(a.host!, port, path, headers, {
      message: (payload) => (kind === 'msgpack' ? onMsgpack(c, payload) : onJson(c, payload)),
      close: () => void stats.closed++,
    })
    stats.connected++
    if (kind === 'msgpack') {
      symbols.forEach((symbol, j) => c.ws!.send(encodeClientFrame({ op: C.SUBSCRIBE, sid: j + 1, channel: 'candles', params: { symbol, interval: '1s' } })))
      if (c.probe) c.ws.send(encodeClientFrame({ op: C.SUBSCRIBE, sid: symbols.length + 1, channel: 'trades', params: { symbol: a.probe } }))
    }
  } catch {
    stats.failed++
  }
}

const t0 = Date.now()
let next = 0
await Promise.all(Array.from({ length: Math.min(Number(a.ramp), count) }, async () => {
  while (next < count) await open(next++)
}))
stats.connectMs = Date.now() - t0
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')
say({ event: 'ready', connected: stats.connected, failed: stats.failed, connectMs: stats.connectMs })

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'start') {
    measuring = true
    measureStarted = Date.now()
    loopDelay.enable()
  } else if (line === 'stop') {
    measuring = false
    const seconds = (Date.now() - measureStarted) / 1000
    const hist: [number, number][] = []
    latency.forEach((n, ms) => n && hist.push([ms, n]))
    say({
      event: 'result', kind, seconds, ...stats, latencyHist: hist,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6, rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
    })
    process.exit(0)
  }
}
