// k6: WebSocket fan-out. Each VU holds one connection, subscribes to CHANNELS candle
// channels and records publish → receive latency from the delta's own publish time
// (base + sentOffset). It reads only each frame's header (frame-header.js) and takes the
// receive time before anything else: decoding whole frames in k6's JavaScript made the
// generator's own CPU part of every latency it reported. Counts are kept per VU and handed
// to k6 once at the end, so a frame costs one metric sample (its latency), not three.
// Env: BASE_URL, TOKEN, SYMBOLS, CHANNELS, VUS, SECONDS.
import ws from 'k6/ws'
import { check } from 'k6'
import { Counter, Trend } from 'k6/metrics'
import { frameHeader } from './frame-header.js'
import { encode } from './msgpack.js'

const latency = new Trend('delta_latency_ms', true)
const deltaBytes = new Counter('delta_bytes')
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
  const seen = { deltas: 0, bytes: 0, snapshots: 0, errors: 0 }
  const res = ws.connect(url, {}, (socket) => {
    socket.on('open', () => {
      for (let i = 0; i < channels; i++) {
        socket.sendBinary(encode([1, i + 1, 'candles', { symbol: symbols[(__VU + i) % symbols.length], interval: '1s' }, null]))
      }
      socket.setTimeout(() => socket.close(), seconds * 1000)
    })
    socket.on('binaryMessage', (data) => {
      const now = Date.now()
      const h = frameHeader(data)
      if (h === null) return
      if (h.type === 17) {
        latency.add(now - (h.base + h.sentOffset))
        seen.deltas++
        seen.bytes += data.byteLength
      } else if (h.type === 16) seen.snapshots++
      else if (h.type === 21) seen.errors++
    })
    socket.on('close', () => {
      deltas.add(seen.deltas)
      deltaBytes.add(seen.bytes)
      snapshots.add(seen.snapshots)
      errors.add(seen.errors)
    })
  })
  check(res, { 'upgraded (101)': (r) => r && r.status === 101 })
}
