// `npm run bench -- --scenario NAME [--runs N] [--seconds S]`: runs one benchmark scenario,
// starting what it needs (Kafka, Redis, the gateway, Chromium) and writing
// bench/results/<date>-<scenario>.{json,md,svg}.
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { ingestScenario } from './ingest/scenario.ts'
import { k6Scenario } from './k6/scenario.ts'
// @ts-expect-error plain ESM script without types
import { startKafka } from '../scripts/kafka.mjs'
// @ts-expect-error plain ESM script without types
import { getFreePort } from '../scripts/lib/proc.mjs'

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'quick' },
    runs: { type: 'string' },
    seconds: { type: 'string' },
  },
})

type Kafka = { brokers: string; stop(): Promise<void> }
async function withKafka<T>(fn: (brokers: string) => Promise<T>): Promise<T> {
  const kafka: Kafka = await startKafka({ dataDir: resolve(import.meta.dirname, '../.cache/kafka/bench'), port: await getFreePort(), fresh: true })
  try {
    return await fn(kafka.brokers)
  } finally {
    await kafka.stop()
  }
}

const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v))

const scenarios: Record<string, { about: string; run(): Promise<unknown> }> = {
  quick: {
    about: 'one short run of every part (< 3 min)',
    run: () => withKafka((brokers) => ingestScenario({ name: 'quick', runs: num(values.runs, 1), seconds: num(values.seconds, 5), kafkaBrokers: brokers })),
  },
  k6: {
    about: 'k6: historical HTTP mix through the cache, and WebSocket fan-out decoding MessagePack',
    run: () => k6Scenario({ name: 'k6', seconds: num(values.seconds, 20), httpVus: 20, wsVus: 500 }),
  },
  ingest: {
    about: 'ingestion throughput, freshness and loss: embedded and Kafka, 3 runs each, raw chDB insert ceiling',
    run: () => withKafka((brokers) => ingestScenario({ name: 'ingest', runs: num(values.runs, 3), seconds: num(values.seconds, 15), kafkaBrokers: brokers })),
  },
}

const scenario = scenarios[values.scenario!]
if (!scenario) {
  console.error(`unknown scenario "${values.scenario}"; one of:\n${Object.entries(scenarios).map(([k, s]) => `  ${k.padEnd(10)} ${s.about}`).join('\n')}`)
  process.exit(2)
}
const t0 = Date.now()
const result = (await scenario.run()) as { files?: string[] }
console.log(`bench ${values.scenario}: done in ${((Date.now() - t0) / 1000).toFixed(0)} s${result?.files ? `; wrote ${result.files.join(', ')}` : ''}`)
