// One ingestion benchmark run in its own process (chDB: one data directory per process):
// the gateway in-process, the load generator as a child process, a freshness probe,
// then a zero-loss check and the raw chDB insert ceiling for the same rows.
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { ingest, removeDir, rows, startInProcess, tokenFor } from '../../test/support/gateway.ts'
import { percentile } from '../lib/stats.ts'
import { exitCleanlyOnSignals, onInterrupt } from '../lib/interrupt.ts'
import { runTsxJson } from '../lib/child.ts'
import { compactRows } from '../../ingest/clickhouse-writer.ts'

const { values } = parseArgs({
  options: {
    kafka: { type: 'string', default: '' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '4' },
    dedup: { type: 'string', default: 'on' },
    keys: { type: 'boolean', default: false },
    // Extra gateway configuration, K=V,K=V (e.g. INGEST_FLUSH_ROWS=10000), for experiments.
    env: { type: 'string', default: '' },
  },
})
const extraEnv = Object.fromEntries(values.env.split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
const prefix = `b${Date.now().toString(36)}.`
exitCleanlyOnSignals('bench ingest run')
// Deduplication off only to measure what it costs (INSERTs without tokens, no Kafka unit intents).
const dedup = values.dedup === 'off' ? 'off' : 'on'
const gw = await startInProcess({ ...extraEnv, INGEST_DEDUPLICATION: dedup, ...(values.kafka ? { KAFKA_BROKERS: values.kafka, KAFKA_TOPIC_PREFIX: prefix } : {}) })
onInterrupt(async () => {
  await gw.stop()
  removeDir(gw.dataDir)
})
const ops = gw.clickhouse('ops')
const one = async (sql: string) => Number(Object.values((await rows(ops, sql))[0])[0])
const token = await tokenFor(['ingest'])

if (values.kafka) {
  // The consumer joins its group a few seconds after start: warm it up outside the measurement.
  await ingest(gw, 'trades', [{ id: 'warm', ts: Date.now(), symbol: 'WARM', price: 1, qty: 1, side: 'buy' }])
  while ((await one("SELECT count() FROM trades WHERE symbol = 'WARM'")) < 1) await sleep(100)
}

// Freshness: a probe trade every 100 ms; a poller sees when the 1s candle counts it. The
// poll runs a query in the gateway's own chDB, so it polls every 100 ms, not faster:
// each sample is then up to one poll interval late (an upper bound).
const freshnessPollMs = 100
const sentAt: number[] = []
const freshnessMs: number[] = []
let probing = true
const probe = (async () => {
  while (probing) {
    const i = sentAt.length
    sentAt.push(Date.now())
    await ingest(gw, 'trades', [{ id: `probe-${i}`, ts: Date.now(), symbol: 'PRB', price: 1, qty: 1, side: 'buy' }]).catch(() => {})
    await sleep(100)
  }
})()
const poll = (async () => {
  let seen = 0
  while (probing || seen < sentAt.length) {
    const visible = await one("SELECT sum(trades) FROM candles_1s WHERE symbol = 'PRB'")
    const now = Date.now()
    for (; seen < visible && seen < sentAt.length; seen++) freshnessMs.push(now - sentAt[seen])
    if (!probing && Date.now() - sentAt.at(-1)! > 30_000) break
    await sleep(freshnessPollMs)
  }
})()

// CPU of this whole process (the gateway's JS thread, libuv workers and chDB's threads) while the load runs:
// per event it is the figure least moved by other work on a shared machine.
const cpuAtStart = process.cpuUsage()
const loadResult = await runTsxJson<{ accepted: number; refused: number; failed: number; elapsedS: number; acceptedPerS: number; runId: string }>(
  resolve(import.meta.dirname, 'load.ts'),
  ['--url', gw.url, '--token', token, '--seconds', values.seconds, '--rate', values.rate, '--concurrency', values.concurrency, ...(values.keys ? ['--keys'] : [])],
)
const loadCpu = process.cpuUsage(cpuAtStart)
probing = false
await probe

// Zero loss: every accepted row of this run is in the raw table (waits for Kafka to catch up).
const drainStart = Date.now()
let stored = 0
while (Date.now() - drainStart < 120_000) {
  stored = await one(`SELECT count() FROM trades WHERE startsWith(id, '${loadResult.runId}-')`)
  if (stored >= loadResult.accepted) break
  await sleep(200)
}
const drainMs = Date.now() - drainStart
await poll

// Ceiling: the same rows inserted straight into chDB, no HTTP, no validation, no Kafka, in the
// format the gateway used before (JSONEachRow) and the one it uses now (JSONCompactEachRow,
// ingest/clickhouse-writer.ts), 50k-row INSERTs alternating between the two so both see the same
// table size and machine.
const ceilingRows = await rows<object>(ops, `SELECT id, ts, symbol, price, qty, side, venue FROM trades WHERE startsWith(id, '${loadResult.runId}-') LIMIT 500000`)
const ingestClient = gw.clickhouse('ingest')
const ceilingMs = { json: 0, compact: 0 }
const ceilingCpuUs = { json: 0, compact: 0 }
const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system }
for (let i = 0; i < ceilingRows.length; i += 50_000) {
  const chunk = ceilingRows.slice(i, i + 50_000)
  let [t0, c0] = [performance.now(), cpuUs()]
  await ingestClient.insert({ table: 'trades', values: chunk, format: 'JSONEachRow' })
  ceilingMs.json += performance.now() - t0
  ceilingCpuUs.json += cpuUs() - c0
  ;[t0, c0] = [performance.now(), cpuUs()]
  const compact = compactRows(chunk)!
  await ingestClient.insert({ table: 'trades', columns: compact.columns, values: compact.values, format: 'JSONCompactEachRow' })
  ceilingMs.compact += performance.now() - t0
  ceilingCpuUs.compact += cpuUs() - c0
}
const ceilingPerS = ceilingRows.length / (ceilingMs.json / 1000)
const ceilingCompactPerS = ceilingRows.length / (ceilingMs.compact / 1000)

await gw.stop()
removeDir(gw.dataDir)
const sorted = [...freshnessMs].sort((a, b) => a - b)
console.log(JSON.stringify({
  mode: values.kafka ? 'kafka' : 'embedded',
  dedup,
  keys: Boolean(values.keys),
  acceptedPerS: Math.round(loadResult.accepted / loadResult.elapsedS),
  accepted: loadResult.accepted,
  stored,
  lost: Math.max(0, loadResult.accepted - stored),
  duplicates: Math.max(0, stored - loadResult.accepted),
  refused: loadResult.refused,
  failed: loadResult.failed,
  drainMs,
  freshness: { pollMs: freshnessPollMs, samples: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1) ?? null },
  cpuUsPerEvent: Math.round(((loadCpu.user + loadCpu.system) / Math.max(1, loadResult.accepted)) * 100) / 100,
  ceilingRowsPerS: Math.round(ceilingPerS),
  ceilingCompactRowsPerS: Math.round(ceilingCompactPerS),
  ceilingCpuUsPerRow: Math.round((ceilingCpuUs.json / Math.max(1, ceilingRows.length)) * 100) / 100,
  ceilingCompactCpuUsPerRow: Math.round((ceilingCpuUs.compact / Math.max(1, ceilingRows.length)) * 100) / 100,
  ceilingRows: ceilingRows.length,
}))
process.exit(0)
