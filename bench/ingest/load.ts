// Load generator for the ingestion benchmark, run as its own process so it does not
// share an event loop with the gateway. Posts NDJSON bodies of `--batch` trades for
// --seconds, then prints a JSON summary with the offered (sent) and accepted rates.
//
// --rate 0 (default): closed loop, `--concurrency` requests in flight, each sent when the
// previous answer arrives: "as fast as the gateway takes them".
// --rate N: open loop, one request every batch/N seconds whatever the answers, so the
// offered rate is N unless `--max-in-flight` requests are already waiting; batches not
// sent for that reason are counted as `missed` (offered < N is then visible).
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '0' },
    batch: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '4' },
    'max-in-flight': { type: 'string', default: '64' },
    symbols: { type: 'string', default: '50' },
    // An Idempotency-Key on every request (what a careful producer sends).
    keys: { type: 'boolean', default: false },
  },
})
const seconds = Number(values.seconds)
const batch = Number(values.batch)
const rate = Number(values.rate)
const concurrency = Number(values.concurrency)
const maxInFlight = Number(values['max-in-flight'])
const symbols = Array.from({ length: Number(values.symbols) }, (_, i) => `SYM${i}`)
const runId = Date.now().toString(36)

let seq = 0
/**
 * A body of `batch` trades, built just before it is sent: ids are unique per run (so loss
 * and duplicates can be counted) and `ts` is the send time.
 */
function body(): string {
  const now = Date.now()
  const lines = new Array<string>(batch)
  for (let i = 0; i < batch; i++) {
    const n = seq++
    lines[i] = `{"id":"${runId}-${n}","ts":${now},"symbol":"${symbols[n % symbols.length]}","price":${(100 + (n % 97) / 10).toFixed(2)},"qty":${1 + (n % 5)},"side":"${n % 2 ? 'buy' : 'sell'}"}`
  }
  return lines.join('\n')
}

const stats = { sent: 0, accepted: 0, rejected: 0, refused: 0, failed: 0, missed: 0, requests: 0, maxInFlight: 0 }
let inFlight = 0
const started = Date.now()
const deadline = started + seconds * 1000

/** One request; resolves with how long a closed-loop sender should back off (ms). */
async function post(): Promise<number> {
  const text = body()
  stats.sent += batch
  stats.requests++
  stats.maxInFlight = Math.max(stats.maxInFlight, ++inFlight)
  try {
    const res = await fetch(`${values.url}/v1/events/trades`, {
      method: 'POST',
      body: text,
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${values.token}`, ...(values.keys ? { 'idempotency-key': `${runId}-${stats.requests}` } : {}) },
    })
    if (res.status === 200) {
      const r = (await res.json()) as { accepted: number; rejected: number }
      stats.accepted += r.accepted
      stats.rejected += r.rejected
    } else {
      stats.refused += batch
      await res.arrayBuffer()
      return Number(res.headers.get('retry-after') ?? '1') * 100
    }
    return 0
  } catch {
    stats.failed += batch
    return 0
  } finally {
    inFlight--
  }
}

async function closedLoopWorker() {
  while (Date.now() < deadline) {
    const backoffMs = await post()
    if (backoffMs) await sleep(backoffMs)
  }
}

async function openLoop() {
  const pending = new Set<Promise<number>>()
  for (let k = 0; ; k++) {
    const due = started + ((k * batch) / rate) * 1000
    if (due >= deadline) break
    if (due > Date.now()) await sleep(due - Date.now())
    if (inFlight >= maxInFlight) {
      stats.missed += batch
      continue
    }
    const p = post()
    pending.add(p)
    void p.finally(() => pending.delete(p))
  }
  await Promise.all(pending)
}

await (rate > 0 ? openLoop() : Promise.all(Array.from({ length: concurrency }, closedLoopWorker)))
// Requests are started only within the --seconds window, so offered is per second of it;
// answers may arrive after it (and the open loop's last batch is due before its end), so
// accepted is per second of the window or of the time to the last answer, the longer.
const elapsedS = (Date.now() - started) / 1000
console.log(JSON.stringify({
  ...stats, elapsedS, mode: rate > 0 ? 'open' : 'closed', targetPerS: rate || null,
  offeredPerS: stats.sent / seconds, acceptedPerS: stats.accepted / Math.max(seconds, elapsedS), runId,
}))
