// The fan-out floor: uWS alone, no ClickHouse, no live queries, no gateway code. Every
// socket joins one topic on open; on "start <channels> <tickMs>" it publishes one DELTA
// per channel (the size of a 1s candle delta) every tick, in one event loop turn, as the
// gateway does. What the benchmark's clients then measure is the cost of handing one frame
// to N sockets on this machine: the floor under the gateway's publish→receive latency.
// Prints {"event":"listening","port"}; "stop" stops publishing.
import { createInterface } from 'node:readline'
import uWS from 'uWebSockets.js'
import { encodeServerFrame, S } from '../../api/protocol/index.ts'

const app = uWS.App()
app.ws('/*', { open: (ws) => void ws.subscribe('floor'), idleTimeout: 120, maxBackpressure: 64 * 1024 * 1024 })
const port: number = await new Promise((resolve, reject) =>
  app.listen('127.0.0.1', 0, (t) => (t ? resolve(uWS.us_socket_local_port(t)) : reject(new Error('cannot listen')))))
process.stdout.write(JSON.stringify({ event: 'listening', port }) + '\n')

let timer: NodeJS.Timeout | undefined
let seq = 0
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, channels, tickMs] = line.split(' ')
  if (cmd === 'start') {
    timer = setInterval(() => {
      const now = Date.now()
      const base = Math.floor(now / 1000) * 1000
      seq++
      for (let cid = 1; cid <= Number(channels); cid++) {
        app.publish('floor', encodeServerFrame({
          type: S.DELTA, cid, seq, base, sentOffset: now - base,
          append: [[0], [100.25], [101.5], [99.75], [100.5], [1234.5], [87], [100.41]], replace: null, remove: null,
        }), true)
      }
    }, Number(tickMs))
  } else if (cmd === 'stop') clearInterval(timer)
}
process.exit(0)
