// Events produced straight to Kafka, by any producer (issue 17, items 2 and 3): the same rules as
// HTTP ingestion, a message's bad lines dead-lettered alone, a producer's retry and a consumer's
// crash counted once. Against npm test's Apache Kafka and the real engine.
import { afterAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Kafka, logLevel, type Producer } from 'kafkajs'
import { streams, type Stream } from '../core/events.ts'
import { eventually } from '../test/support/eventually.ts'
import { ingest, rows } from '../test/support/gateway.ts'
import { gatewayForFile } from '../test/support/gateway-file.ts'
import { hostileCorpus } from '../test/support/hostile-corpus.ts'
import { Scrape } from '../ui/src/lib/prom.ts'

const brokers = process.env.LIVEHOUSE_TEST_KAFKA_BROKERS
if (!brokers) throw new Error('LIVEHOUSE_TEST_KAFKA_BROKERS must be set (run through npm test)')

let producer: Producer
const prefix = `c${Date.now().toString(36)}.`

const file = gatewayForFile({ KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix }, async (gw) => {
  producer = new Kafka({ clientId: 'foreign-producer', brokers: [brokers!], logLevel: logLevel.NOTHING }).producer()
  await producer.connect()
  // The gateway's consumer owns every partition before a test measures anything (joining is slow on a busy machine).
  await eventually(async () => {
    const scrape = new Scrape(await (await fetch(`${gw.url}/metrics`)).text())
    const assigned = scrape.select('livehouse_kafka_consumer_partitions').map((s) => s.value)
    expect(assigned.length === streams.length && assigned.every((n) => n >= 1)).toBe(true)
  }, { timeoutMs: 120_000, intervalMs: 500 })
}, { timeoutMs: 300_000 })
afterAll(async () => {
  await producer?.disconnect()
}, 60_000)

const q = <T = Record<string, string>>(sql: string) => rows<T>(file.gw.clickhouse('ops'), sql)
const one = async (sql: string) => Number(Object.values((await q(sql))[0])[0])

/** Each stream's rows of a run, keyed by what identifies them in the corpus. */
const idColumn: Record<Stream, string> = { trades: 'symbol', orders: 'order_id', web_events: 'session_id' }
const storedRows = async (stream: Stream, tag: string) => {
  const columns = { trades: 'id, ts, symbol, price, qty, side, venue', orders: 'order_id, ts, shop_id, customer_id, product_id, category, quantity, unit_price, unit_cost, currency, status, country', web_events: 'ts, session_id, shop_id, type, customer_id, product_id' }[stream]
  const found = await q(`SELECT ${columns} FROM ${stream} WHERE startsWith(${idColumn[stream]}, '${tag}') ORDER BY ALL`)
  // The same row from the other run: its tag replaced, and a generated id masked.
  return found.map((r) => JSON.stringify({ ...r, ...('id' in r && !String(r.id).startsWith(tag) ? { id: '<generated>' } : {}) }).replaceAll(tag, '<tag>')).sort()
}
/** What each line got, from the dead letters of one path: 'OK' unless a letter names its line. */
const outcomes = async (stream: Stream, source: string, lineCount: number, firstLine: number, since: string) => {
  const letters = await q<{ error_code: string; error_message: string }>(`SELECT error_code, error_message FROM dead_letters WHERE stream = '${stream}' AND source = '${source}' AND received_at >= '${since}'`)
  const out: string[] = Array.from({ length: lineCount }, () => 'OK')
  for (const l of letters) {
    const line = Number(/(?:^|\s)line (\d+):/.exec(l.error_message)?.[1])
    if (line >= firstLine && line < firstLine + lineCount) out[line - firstLine] = l.error_code
  }
  return out
}
const nowText = async () => (await q<{ t: string }>("SELECT toString(now64(3) - INTERVAL 1 SECOND) AS t"))[0].t

describe('one validation, every path', () => {
  it('the hostile corpus: HTTP ingestion and a producer writing straight to Kafka keep and reject exactly the same lines, for the same reasons', async () => {
    const now = Date.now()
    // Upper case: tags end up in symbols too.
    const [tagH, tagK] = ['H', 'K'].map((p) => `${p}${now.toString(36)}`.toUpperCase())
    const viaHttp = hostileCorpus(now, tagH)
    const viaKafka = hostileCorpus(now, tagK)
    for (const stream of streams) {
      const since = await nowText()
      const expected = viaHttp[stream].map((c) => c.expect)
      // HTTP: the body as a producer would post it (a blank first line: numbering counts it).
      const res = await ingest(file.gw, stream, ['', ...viaHttp[stream].map((c) => c.line)])
      const answer = (await res.json()) as { accepted: number; errors: { line: number; code: string }[] }
      const http = expected.map((_, i) => answer.errors.find((e) => e.line === i + 2)?.code ?? 'OK')
      expect(http.map((code, i) => `${i}:${code}`)).toEqual(expected.map((code, i) => `${i}:${code}`))
      // Kafka: the same lines, one multi-line message, from a producer that is not Livehouse.
      await producer.send({ topic: `${prefix}${stream}`, messages: [{ value: ['', ...viaKafka[stream].map((c) => c.line)].join('\n') }] })
      const kept = expected.filter((e) => e === 'OK').length
      await eventually(async () => expect((await storedRows(stream, tagK)).length).toBe(kept), { timeoutMs: 120_000, intervalMs: 200 })
      await eventually(async () => expect(await outcomes(stream, 'kafka', expected.length, 2, since)).toEqual(expected), { timeoutMs: 60_000, intervalMs: 200 })
      expect(await outcomes(stream, 'http', expected.length, 2, since)).toEqual(expected)
      await eventually(async () => expect(await storedRows(stream, tagK)).toEqual(await storedRows(stream, tagH)), { timeoutMs: 60_000 })
    }
  }, 600_000)

  it('a message whose idempotency-key header was already stored from another offset (a producer\'s retry) is stored once', async () => {
    const value = [1, 2, 3].map((i) => JSON.stringify({ id: `hdr-${i}`, ts: Date.now(), symbol: 'HDR', price: 1, qty: 1, side: 'buy' })).join('\n')
    const topic = `${prefix}trades`
    await producer.send({ topic, messages: [{ key: 'retry-1', value, headers: { 'idempotency-key': 'retry-1' } }] })
    await eventually(async () => expect(await one("SELECT count() FROM trades WHERE symbol = 'HDR'")).toBe(3), { timeoutMs: 60_000, intervalMs: 200 })
    await producer.send({ topic, messages: [{ key: 'retry-1', value, headers: { 'idempotency-key': 'retry-1' } }, { key: 'other', value, headers: { 'idempotency-key': 'other' } }] })
    await eventually(async () => expect(await one("SELECT count() FROM trades WHERE symbol = 'HDR'")).toBe(6), { timeoutMs: 60_000, intervalMs: 200 })
    // Nothing else comes: the retry's copy was dropped, not delayed.
    await producer.send({ topic, messages: [{ value: JSON.stringify({ id: 'hdr-end', ts: Date.now(), symbol: 'HDR2', price: 1, qty: 1, side: 'buy' }) }] })
    await eventually(async () => expect(await one("SELECT count() FROM trades WHERE symbol = 'HDR2'")).toBe(1), { timeoutMs: 60_000, intervalMs: 200 })
    expect([await one("SELECT count() FROM trades WHERE symbol = 'HDR'"), await one("SELECT sum(trades) FROM candles_1m WHERE symbol = 'HDR'")]).toEqual([6, 6])
  }, 120_000)
})

describe('a consumer killed after writing a unit, before committing it', () => {
  const script = resolve(import.meta.dirname, '../test/support/kafka-consumer-process.ts')
  const run = (args: string[]) =>
    new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((done) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      let err = ''
      child.stdout.on('data', (d) => (out += d))
      child.stderr.on('data', (d) => (err += d))
      child.on('exit', (code, signal) => done({ code, signal, out, err }))
    })

  it('is replaced by one that rewrites exactly that unit: every trade once, raw and rolled up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'livehouse-consumer-'))
    const topicPrefix = `d${Date.now().toString(36)}.`
    const group = `g-${topicPrefix}`
    const batch = (from: number) => ({ value: Array.from({ length: 100 }, (_, i) => JSON.stringify({ id: `u${from + i}`, ts: Date.now(), symbol: 'UNIT', price: 1, qty: 1, side: 'buy' })).join('\n') })
    try {
      await producer.send({ topic: `${topicPrefix}trades`, messages: [batch(0), batch(100), batch(200)] })
      const died = await run([dir, brokers!, topicPrefix, group, '--die'])
      expect(died.signal).toBe('SIGKILL')
      // More arrives while nobody consumes: the next fetch holds more than the unit that was written.
      await producer.send({ topic: `${topicPrefix}trades`, messages: [batch(300), batch(400)] })
      const drained = await run([dir, brokers!, topicPrefix, group, '--drain'])
      expect(drained.err).toContain('rewriting the unit a crashed consumer started')
      expect(JSON.parse(drained.out.trim().split('\n').at(-1)!)).toEqual({ uncommitted: 0, stored: 500, distinct: 500, candles: 500 })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)

  it('a consumer stopped by an error kafkajs does not retry starts again and stores every trade once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'livehouse-consumer-'))
    const topicPrefix = `e${Date.now().toString(36)}.`
    const batch = (from: number) => ({ value: Array.from({ length: 100 }, (_, i) => JSON.stringify({ id: `x${from + i}`, ts: Date.now(), symbol: 'CRASH', price: 1, qty: 1, side: 'buy' })).join('\n') })
    try {
      await producer.send({ topic: `${topicPrefix}trades`, messages: [batch(0), batch(100), batch(200)] })
      const drained = await run([dir, brokers!, topicPrefix, `g-${topicPrefix}`, '--crash-once'])
      // Before the fix, kafkajs gave up: the unit stayed stored but uncommitted, and nothing after it was read.
      expect(JSON.parse(drained.out.trim().split('\n').at(-1)!)).toEqual({ uncommitted: 0, stored: 300, distinct: 300, candles: 300 })
      expect(drained.err).toContain('kafka: the consumer stopped')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 240_000)
})
