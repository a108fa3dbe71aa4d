// k6: WebSocket fan-out. Each VU holds one connection, subscribes to CHANNELS candle
// channels, decodes every MessagePack frame and records publish→receive latency from the
// delta's own publish time (base + sentOffset). Env: BASE_URL, TOKEN, SYMBOLS, CHANNELS, VUS, SECONDS.
import ws from 'k6/ws'
import { check } from 'k6'
import { Counter, Trend } from 'k6/metrics'
import { decode, encode } from './msgpack.js'

const latency = new Trend('delta_latency_ms', true)
const deltaBytes = new Trend('delta_bytes')
const deltas = new Counter('deltas')
const snapshots = new Counter('snapshots')
const errors = new Counter('error_frames')

const symbols = (__ENV.SYMBOLS || 'AAPL,MSFT,NVDA,BTC-USD').split(',')
const channels = Number(__ENV.CHANNELS || 2)
const seconds = Number(__ENV.SECONDS || 20)

export const options = {
  scenarios: { fanout: { executor: 'per-vu-iterations', vus: Number(__ENV.VUS || 100), iterations: 1, maxDuration: `${seconds + 30}s` } },
}

export default function () {
  const url = `${__ENV.BASE_URL.replace('http', 'ws')}/ws?access_token=${__ENV.TOKEN}`
  const res = ws.connect(url, {}, (socket) => {
    socket.on('open', () => {
      for (let i = 0; i < channels; i++) {
        socket.sendBinary(encode([1, i + 1, 'candles', { symbol: symbols[(__VU + i) % symbols.length], interval: '1s' }, null]))
      }
      socket.setTimeout(() => socket.close(), seconds * 1000)
    })
    socket.on('binaryMessage', (data) => {
      const frame = decode(data)
      if (frame[0] === 17) {
        deltas.add(1)
        deltaBytes.add(data.byteLength)
        latency.add(Date.now() - (frame[3] + frame[4]))
      } else if (frame[0] === 16) snapshots.add(1)
      else if (frame[0] === 21) errors.add(1)
    })
  })
  check(res, { 'upgraded (101)': (r) => r && r.status === 101 })
}
