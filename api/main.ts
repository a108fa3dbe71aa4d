import { loadConfig } from './config.ts'
import { startLivehouse } from './livehouse.ts'
import { createLogger } from './log.ts'
import { exitOnSignals } from './shutdown.ts'
import { secretsOutOfEnvironment } from './sql/secret-env.ts'

// The gateway runs analyst SQL in-process: it runs without secrets in its environment (api/sql/secret-env.ts).
// Its own libuv pool gets room for the analysts' engine calls beside everyone else's.
const secrets = await secretsOutOfEnvironment(process.env, { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '8' })
let config
try {
  config = loadConfig({ ...process.env, ...secrets })
} catch (e) {
  console.error((e as Error).message)
  process.exit(2)
}
const log = createLogger(config.LOG_LEVEL)
const livehouse = await startLivehouse(config, log).catch((e: Error) => {
  console.error(`livehouse: cannot start: ${e.message}`)
  process.exit(1)
})

console.log(`\nLivehouse is up: ${livehouse.url}`)
console.log(`  engine: ${config.embedded ? `embedded chDB (${config.DATA_DIR})` : config.CLICKHOUSE_URL}`)
console.log(`  ingestion: ${config.KAFKA_BROKERS.length ? `Kafka (${config.KAFKA_BROKERS.join(',')})` : 'direct INSERTs'}`)
console.log(`  analyst SQL: ${livehouse.sqlUrl ?? 'off (SQL_PORT=0)'}  (ClickHouse HTTP interface, read-only; password = an analyst token)`)
console.log(`  demo generator: ${config.DEMO_RATE > 0 ? `${config.DEMO_RATE} events/s` : 'off'}`)
if (livehouse.demoTokens) {
  console.log('\nDemo tokens (embedded mode, valid 30 days):')
  for (const [role, token] of Object.entries(livehouse.demoTokens)) console.log(`  ${role.padEnd(8)} ${token}`)
}
console.log('')

exitOnSignals({ stop: livehouse.stop, log, timeoutMs: config.SHUTDOWN_TIMEOUT_MS, exit: (code) => process.exit(code), signals: process })
