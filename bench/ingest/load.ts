// Load generator for the ingestion benchmark, run as its own process so it does not
// share an event loop with the gateway: posts pre-built NDJSON bodies of trades as fast
// as the gateway takes them (or at --rate events/s) for --seconds, then prints a JSON summary.
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '0' },
    batch: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '4' },
    symbols: { type: 'string', default: '50' },
  },
})
const seconds = Number(values.seconds)
const batch = Number(values.batch)
const rate = Number(values.rate)
const concurrency = Number(values.concurrency)
const symbols = Array.from({ length: Number(values.symbols) }, (_, i) => `SYM${i}`)
const runId = Date.now().toString(36)

let seq = 0
/** A body of `batch` trades; ids are unique per run so loss and duplicates can be counted. */
function body(): string {
  const now = Date.now()
  const lines = new Array<string>(batch)
  for (let i = 0; i < batch; i++) {
    const n = seq++
    lines[i] = `{"id":"${runId}-${n}","ts":${now},"symbol":"${symbols[n % symbols.length]}","price":${(100 + (n % 97) / 10).toFixed(2)},"qty":${1 + (n % 5)},"side":"${n % 2 ? 'buy' : 'sell'}"}`
  }
  return lines.join('\n')
}

const stats = { sent: 0, accepted: 0, rejected: 0, refused: 0, failed: 0, requests: 0 }
const started = Date.now()
const deadline = started + seconds * 1000

async function worker() {
  while (Date.now() < deadline) {
    if (rate > 0) {
      const due = started + (stats.sent / rate) * 1000
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
    }
    const text = body()
    stats.sent += batch
    stats.requests++
    try {
      const res = await fetch(`${values.url}/v1/events/trades`, {
        method: 'POST',
        body: text,
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${values.token}` },
      })
      if (res.status === 200) {
        const r = (await res.json()) as { accepted: number; rejected: number }
        stats.accepted += r.accepted
        stats.rejected += r.rejected
      } else {
        stats.refused += batch
        await res.arrayBuffer()
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? '1') * 100))
      }
    } catch {
      stats.failed += batch
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, worker))
const elapsedS = (Date.now() - started) / 1000
console.log(JSON.stringify({ ...stats, elapsedS, acceptedPerS: stats.accepted / elapsedS, runId }))
