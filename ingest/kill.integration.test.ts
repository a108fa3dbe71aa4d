// The gateway kill tests (issue 17, item 2): SIGKILL the gateway twice while a careful producer
// (test/support/ingest-load.ts: an Idempotency-Key per batch, retried until 200) is sending, in Kafka mode and
// embedded; afterwards every accepted trade is stored exactly once, raw and rolled up.
import { afterAll, describe, expect, it } from 'vitest'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { eventually } from '../test/support/eventually.ts'
import { removeDir, startGateway, tokenFor, type TestGateway } from '../test/support/gateway.ts'
import { getFreePort } from '../test/support/ports.ts'
import { killReport, startLoad } from '../test/support/ingest-load.ts'
import { Scrape } from '../ui/src/lib/prom.ts'

const brokers = process.env.LIVEHOUSE_TEST_KAFKA_BROKERS
if (!brokers) throw new Error('LIVEHOUSE_TEST_KAFKA_BROKERS must be set (run through npm test)')

let current: TestGateway | undefined
/** Every gateway started here, killed ones included: all stopped and their data removed at the end, whatever failed. */
const started: TestGateway[] = []
afterAll(async () => {
  for (const gw of started) await gw.stop()
  for (const dir of new Set(started.map((g) => g.dataDir))) removeDir(dir)
})
const start = async (env: Record<string, string>, dataDir?: string) => {
  const gw = await startGateway(env, dataDir)
  started.push(gw)
  return gw
}

const one = async (sql: ClickHouseClient, query: string) => Number(Object.values((await (await sql.query({ query, format: 'JSONEachRow' })).json<Record<string, string>>())[0])[0])
const metric = async (gw: TestGateway, name: string) =>
  new Scrape(await (await fetch(`${gw.url}/metrics`)).text()).select(name).map((s) => s.value)

async function killTwiceUnderLoad(env: Record<string, string>, symbol: string, failure: string) {
  const sqlPort = await getFreePort()
  const fullEnv = { ...env, SQL_PORT: String(sqlPort), HOST: '127.0.0.1', LOG_LEVEL: 'info' }
  current = await start(fullEnv)
  const dataDir = current.dataDir
  let output = ''
  const load = startLoad({ url: () => current!.url, symbol, batches: 60, batchRows: 500, concurrency: 4 })
  for (const afterBatches of [15, 35]) {
    await eventually(() => expect(load.acceptedBatches()).toBeGreaterThanOrEqual(afterBatches), { timeoutMs: 120_000, intervalMs: 20 })
    await current.stop(true) // SIGKILL: requests in flight, batches being written, a consumer mid-unit
    output += current.output()
    current = await start(fullEnv, dataDir)
  }
  const { accepted, retries } = await load.done
  expect(accepted.size).toBe(60 * 500)
  await check(env, symbol, failure, sqlPort, accepted, retries, output)
  await current.stop()
}

async function check(env: Record<string, string>, symbol: string, failure: string, sqlPort: number, accepted: Set<string>, retries: number, output: string) {
  const sql = createClient({ url: `http://127.0.0.1:${sqlPort}`, password: await tokenFor(['analyst']) })
  const where = `symbol = '${symbol}'`
  await eventually(async () => expect(await one(sql, `SELECT uniqExact(id) FROM trades WHERE ${where}`)).toBe(accepted.size), { timeoutMs: 120_000, intervalMs: 500 })
  if (env.KAFKA_BROKERS) {
    await eventually(async () => {
      const lags = await metric(current!, 'livehouse_kafka_consumer_lag_messages')
      // The series must be there: an absent metric is not a lag of 0.
      expect(lags.length).toBeGreaterThan(0)
      expect(lags.every((l) => l === 0)).toBe(true)
    }, { timeoutMs: 60_000, intervalMs: 500 })
  }
  const stored = await one(sql, `SELECT count() FROM trades WHERE ${where}`)
  const distinct = await one(sql, `SELECT uniqExact(id) FROM trades WHERE ${where}`)
  const rollup = await one(sql, `SELECT sum(trades) FROM candles_1m WHERE ${where}`)
  const volume = await one(sql, `SELECT sum(volume) FROM candles_1m WHERE ${where}`)
  await sql.close()
  output += current!.output()
  const rewritten = output.split('\n').filter((l) => l.includes('rewriting the unit a crashed consumer started')).length
  const row = killReport(failure, accepted.size, stored, distinct, accepted.size - distinct, rollup, retries)
  if (env.KAFKA_BROKERS) console.log(`KILL TEST | ${failure} | units rewritten from a crashed consumer's intent: ${rewritten}`)
  expect(row).toMatchObject({ lost: 0, duplicated: 0, rollupTrades: accepted.size })
  expect(volume).toBe(accepted.size) // qty 1 each: the rollup's sums count every trade once
  expect(retries).toBeGreaterThan(0) // the kills did hit requests
}

describe('gateway SIGKILLed twice under load', () => {
  it('in Kafka mode: lost 0, duplicated 0, in trades and in candles', async () => {
    await killTwiceUnderLoad({ KAFKA_BROKERS: brokers!, KAFKA_TOPIC_PREFIX: `kill${Date.now().toString(36)}.` }, 'KILLK', 'gateway kill -9 ×2, Kafka')
  }, 600_000)

  it('embedded: lost 0, duplicated 0, in trades and in candles', async () => {
    await killTwiceUnderLoad({}, 'KILLE', 'gateway kill -9 ×2, embedded')
  }, 600_000)
})
