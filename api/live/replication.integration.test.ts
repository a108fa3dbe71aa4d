// Two gateway replicas on one Redis and one ClickHouse share each live query: one leads
// (runs the query), both relay its frames; killing the leader moves the lease with no
// sequence gap. The shared ClickHouse is a third process: a gateway on the embedded engine
// whose read-only ClickHouse HTTP interface (SQL_PORT) the replicas use as CLICKHOUSE_URL,
// exactly as replicas use a ClickHouse server in the distributed deployment (chDB allows
// one data directory per process, so two gateways cannot share an embedded engine). Live
// queries only read; the replicas' migrator finds the schema up to date and writes nothing.
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { S, type ServerFrame } from '../protocol/index.ts'
import { eventually } from '../../test/support/eventually.ts'
import { ingest, removeDir, startGateway, tokenFor, type TestGateway } from '../../test/support/gateway.ts'
import { getFreePort } from '../../test/support/ports.ts'
import { LiveClient } from '../../test/support/live-client.ts'
import { checkInvariantsAfterFile } from '../../test/support/live-file.ts'

const redisUrl = process.env.LIVEHOUSE_TEST_REDIS_URL
if (!redisUrl) throw new Error('LIVEHOUSE_TEST_REDIS_URL is required (npm test starts a Redis)')

const namespace = `test-live-${process.pid}-${Date.now()}`
const tickMs = 200
let storage: TestGateway
let a: TestGateway
let b: TestGateway
let sql: ClickHouseClient
let redis: Redis
let trader: string
const clients: LiveClient[] = []
const connect = async (gw: TestGateway) => {
  const c = await LiveClient.connect(gw.url, { token: trader })
  clients.push(c)
  return c
}

beforeAll(async () => {
  const sqlPort = await getFreePort()
  // CACHE_VERSION_POLL_MS=0: the history cache's one read a second would count as live-query SELECTs below.
  storage = await startGateway({ SQL_PORT: String(sqlPort), HOST: '127.0.0.1', CACHE_VERSION_POLL_MS: '0' })
  // An operator's token: the replicas' migrator reads livehouse_migrations, which analysts may not.
  const password = await tokenFor(['admin'], {}, '4h')
  sql = createClient({ url: `http://127.0.0.1:${sqlPort}`, password })
  const replica = {
    CLICKHOUSE_URL: `http://127.0.0.1:${sqlPort}`, CLICKHOUSE_USER: 'replica', CLICKHOUSE_PASSWORD: password,
    REDIS_URL: redisUrl!, CACHE_NAMESPACE: namespace, LIVE_TICK_MS: String(tickMs), CACHE_VERSION_POLL_MS: '0',
  }
  ;[a, b] = await Promise.all([startGateway(replica), startGateway(replica)])
  redis = new Redis(redisUrl!)
  trader = await tokenFor(['trader'])
}, 300_000) // three gateway processes: minutes on a busy machine

checkInvariantsAfterFile()
afterAll(async () => {
  for (const c of clients) c.close()
  await Promise.all([a, b].map((g) => g?.stop()))
  await storage?.stop()
  for (const g of [storage, a, b]) if (g) removeDir(g.dataDir)
  await sql?.close()
  if (redis) {
    const keys = await redis.keys(`${namespace}*`)
    if (keys.length) await redis.del(...keys)
    redis.disconnect()
  }
})

const second = 1000
// Taken at the first trade, not when the file loaded: the clients' 1 s snapshots hold the last
// 300 s, and starting three gateways on a loaded machine can take minutes.
let base: number | undefined
let n = 0
const trade = (symbol: string, offsetMs: number, price: number, qty = 1) =>
  ({ id: `r${++n}`, ts: (base ??= Math.floor(Date.now() / second) * second - 20 * second) + offsetMs, symbol, price, qty, side: n % 2 ? 'buy' : 'sell' })

/** 1s candles straight from the raw trades, read through the shared ClickHouse. */
async function candlesFromRaw(symbol: string): Promise<number[][]> {
  const rs = await sql.query({
    query: `SELECT [toFloat64(toUnixTimestamp(toStartOfSecond(ts)) * 1000), toFloat64(argMin(price, (ts, id))), toFloat64(max(price)), toFloat64(min(price)),
              toFloat64(argMax(price, (ts, id))), toFloat64(sum(qty)), toFloat64(count()), toFloat64(sum(toDecimal128(price, 8) * qty) / sum(qty))] AS row
            FROM trades WHERE symbol = {symbol:String} GROUP BY toStartOfSecond(ts) ORDER BY toStartOfSecond(ts)`,
    query_params: { symbol }, format: 'JSONEachRow',
  })
  return (await rs.json<{ row: number[] }>()).map((r) => r.row.map(Number))
}

/**
 * ClickHouse's own count of SELECTs it executed (the shared engine's system.events), and the
 * engine's clock when it read it: on a busy host the reads' round trips stretch the window the
 * engine counts over well past the test's own timer.
 */
async function selectQueries(): Promise<{ selects: number; atMs: number }> {
  const rs = await sql.query({
    query: "SELECT (SELECT value FROM system.events WHERE event = 'SelectQuery') AS selects, toUnixTimestamp64Milli(now64(3)) AS at_ms",
    format: 'JSONEachRow',
  })
  const [row] = await rs.json<{ selects: string | number; at_ms: string | number }>()
  return { selects: Number(row.selects), atMs: Number(row.at_ms) }
}

/** `livehouse_live_channels` of one gateway: the live queries it runs against ClickHouse. */
async function liveQueriesOf(gw: TestGateway): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text()
  return Number(/^livehouse_live_channels (\S+)$/m.exec(text)?.[1] ?? NaN)
}

/** On failure, what the replicas logged and the error frames their clients got. */
const explainFailure = () => onTestFailed(() => {
  console.error(`gateway a:\n${a?.output()}\ngateway b:\n${b?.output()}\nerror frames: ${JSON.stringify(clients.map((c) => c.errors()))}`)
})

type Delta = Extract<ServerFrame, { type: typeof S.DELTA }>
/** A client's deltas without the cid (each gateway numbers its channels itself), by seq. */
const deltasOf = (c: LiveClient) => new Map(c.frames.filter((f): f is Delta => f.type === S.DELTA).map(({ cid: _, ...d }) => [d.seq, d]))
const leaseOf = (topic: string) => redis.get(`${namespace}:livehouse:live:{${topic}}:lease`)

describe('gateway replicas on one Redis', { timeout: 300_000 }, () => {
  const symbol = 'REP-A'
  const topic = `candles/1s/${symbol}`
  let ca: LiveClient
  let cb: LiveClient

  it('deliver identical deltas to clients of both gateways while ClickHouse runs one live query', async () => {
    explainFailure()
    await ingest(storage, 'trades', [trade(symbol, 0, 100), trade(symbol, 200, 101.5, 2)])
    await eventually(async () => expect(await candlesFromRaw(symbol)).toHaveLength(1))
    ca = await connect(a)
    ca.subscribe(1, 'candles', { symbol, interval: '1s' })
    await eventually(() => expect(ca.subs.get(1)?.rows.size).toBe(1), { timeoutMs: 60_000 })
    // b follows: its snapshot comes from the state the leader keeps in Redis.
    cb = await connect(b)
    cb.subscribe(1, 'candles', { symbol, interval: '1s' })
    await eventually(() => expect(cb.subs.get(1)?.rows.size).toBe(1), { timeoutMs: 60_000 })
    expect(cb.rows(1)).toEqual(ca.rows(1))
    expect([await liveQueriesOf(a), await liveQueriesOf(b)]).toEqual([1, 0])

    for (let k = 1; k <= 5; k++) {
      const seq = ca.subs.get(1)!.seq
      await ingest(storage, 'trades', Array.from({ length: 10 }, (_, i) => trade(symbol, k * 1000 + i * 61, 100 + ((i * 7 + k) % 13) * 0.25, 0.5 + (i % 3))))
      await eventually(() => expect(ca.subs.get(1)!.seq).toBeGreaterThan(seq))
    }
    await ingest(storage, 'trades', [trade(symbol, 999, 250, 3)]) // late: a `replace` of an older bucket
    const truth = await eventually(async () => {
      const raw = await candlesFromRaw(symbol)
      expect(ca.rows(1)).toEqual(raw)
      expect(cb.rows(1)).toEqual(raw)
      return raw
    }, { timeoutMs: 60_000 })
    expect(truth).toHaveLength(6)

    const [da, db] = [deltasOf(ca), deltasOf(cb)]
    const common = [...da.keys()].filter((seq) => db.has(seq))
    expect(common.length).toBeGreaterThanOrEqual(5)
    for (const seq of common) expect(db.get(seq)).toEqual(da.get(seq))
    for (const c of [ca, cb]) expect([c.subs.get(1)!.gaps, c.subs.get(1)!.snapshots]).toEqual([0, 1])

    // ClickHouse's side: over a quiet window the engine runs about one read per tick for
    // this channel, not one per gateway (two replicas would double it).
    // A window of at least 4 s of the engine's clock with the leader's reads in it, waited for
    // (each read of the count is one SELECT more, taken off).
    const before = await selectQueries()
    let reads = 0
    const { selects, windowMs } = await eventually(async () => {
      const after = await selectQueries()
      reads++
      const seen = { selects: after.selects - before.selects - reads, windowMs: after.atMs - before.atMs }
      expect(seen.windowMs).toBeGreaterThanOrEqual(4000)
      expect(seen.selects).toBeGreaterThan(0)
      return seen
    }, { timeoutMs: 60_000, intervalMs: 500 })
    // The ticks that fit in the window as the engine saw it: a leader ticks at most once per tickMs.
    const ticks = Math.ceil(windowMs / tickMs)
    expect(selects, `SELECTs over ${windowMs} ms of the engine's clock`).toBeLessThanOrEqual(ticks * 1.25)
    expect([await liveQueriesOf(a), await liveQueriesOf(b)]).toEqual([1, 0])
  })

  it('moves the lease when the leading gateway is killed, and the clients of the other see no gap', async () => {
    explainFailure()
    const leaseBefore = await leaseOf(topic)
    expect(leaseBefore).toBeTruthy()
    const seqAtKill = cb.subs.get(1)!.seq
    await a.stop(true) // kill -9: no release, the lease has to expire

    let k = 6
    await eventually(async () => {
      await ingest(storage, 'trades', [trade(symbol, k++ * 1000, 90 + k)])
      expect(cb.subs.get(1)!.seq).toBeGreaterThanOrEqual(seqAtKill + 2)
    }, { timeoutMs: 60_000, intervalMs: 700 })
    expect(await leaseOf(topic)).not.toBe(leaseBefore)
    expect(await liveQueriesOf(b)).toBe(1)

    await eventually(async () => expect(cb.rows(1)).toEqual(await candlesFromRaw(symbol)), { timeoutMs: 60_000 })
    const s = cb.subs.get(1)!
    expect([s.gaps, s.snapshots]).toEqual([0, 1])
    const seqs = [...deltasOf(cb).keys()]
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0] + i))
    expect(seqs.at(-1)).toBe(s.seq)

    // A new watcher on the surviving gateway gets the continued sequence and the same rows.
    const late = await connect(b)
    late.subscribe(3, 'candles', { symbol, interval: '1s' })
    await eventually(() => expect(late.subs.get(3)?.seq).toBeGreaterThanOrEqual(s.seq))
    await eventually(() => expect(late.rows(3)).toEqual(cb.rows(1)))
  })
})
