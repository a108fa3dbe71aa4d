// The baseline server, in its own process: plain `ws`, JSON full snapshots. One feed
// connection to the gateway watches the same channels; every time the gateway publishes
// a change of a channel, the baseline sends that channel's whole current state as JSON
// to each of its watchers (serialised once per channel and tick, as a fair server would).
// Clients pick channels with `/?channels=a,b`. Prints {"event":"listening","port"}; on
// the stdin line "stats <id>" prints its counters since start (the scenario subtracts two readings).
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { WebSocketServer, type WebSocket } from 'ws'
import { S } from '../../api/protocol/index.ts'
import { LiveClient } from '../../test/support/live-client.ts'

const { values: a } = parseArgs({ options: { gateway: { type: 'string' }, token: { type: 'string' }, symbols: { type: 'string' }, probe: { type: 'string', default: 'PROBE' }, 'max-buffered': { type: 'string', default: '262144' } } })
const maxBuffered = Number(a['max-buffered'])
const topics = [...a.symbols!.split(',').map((s) => `candles/1s/${s}`), `trades/${a.probe}`]
const stats = { sent: 0, sentBytes: 0, skipped: 0, publishes: 0, connections: 0 }

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
const watchers = new Map<string, Set<WebSocket>>(topics.map((t) => [t, new Set()]))
server.on('connection', (ws, req) => {
  stats.connections++
  const wanted = new URL(req.url ?? '/', 'http://x').searchParams.get('channels')?.split(',') ?? []
  for (const t of wanted) watchers.get(t)?.add(ws)
  ws.on('close', () => {
    stats.connections--
    for (const t of wanted) watchers.get(t)?.delete(ws)
  })
  ws.on('error', () => {})
})
await new Promise((r) => server.once('listening', r))

const feed = await LiveClient.connect(a.gateway!, { token: a.token })
topics.forEach((t, i) => {
  const [channel, ...rest] = t.split('/')
  feed.subscribe(i + 1, channel, channel === 'candles' ? { symbol: rest[1], interval: rest[0] } : { symbol: rest[0] })
})
// LiveClient applied the frame (its listener runs first); now send the full state.
feed.ws.on('message', () => {
  const f = feed.frames.at(-1)
  feed.frames.length = 0
  if (f?.type !== S.DELTA) return
  const sub = [...feed.subs.values()].find((s) => s.cid === f.cid)
  if (!sub) return
  const topic = topics[sub.sid - 1]
  const set = watchers.get(topic)!
  stats.publishes++
  const meta = sub.meta
  const json = `{"sentAt":${Date.now()},"channel":${JSON.stringify(topic)},"columns":${JSON.stringify(meta.columns)},"rows":${JSON.stringify(feed.rows(sub.sid))}}`
  for (const ws of set) {
    // Bounded so a saturated baseline cannot exhaust memory; skipped frames are reported.
    if (ws.bufferedAmount > maxBuffered) stats.skipped++
    else (stats.sent++, (stats.sentBytes += json.length), ws.send(json))
  }
})
process.stdout.write(JSON.stringify({ event: 'listening', port: (server.address() as { port: number }).port }) + '\n')
for await (const line of createInterface({ input: process.stdin })) {
  // "stats <id>": the answer names the request, so a late answer is never taken for a newer one.
  const [command, id] = line.split(' ')
  if (command === 'stats') process.stdout.write(JSON.stringify({ event: `stats ${id}`, at: Date.now(), ...stats }) + '\n')
}
process.exit(0)
