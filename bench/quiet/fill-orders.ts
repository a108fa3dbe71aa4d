// Fills a Livehouse data directory (already migrated) with order lines spread over the last days,
// straight into the engine: the history a long-running demo would leave, in a minute. --migrate
// migrates a new directory first (otherwise a gateway started on it once has).
//   npx tsx bench/quiet/fill-orders.ts DATA_DIR [--lines 10000000] [--days 30] [--migrate]
import { parseArgs } from 'node:util'
import { createClickHouse } from '../../api/clickhouse/client.ts'
import { applyMigrations } from '../../api/clickhouse/migrate.ts'

const { values, positionals } = parseArgs({ allowPositionals: true, options: { lines: { type: 'string' }, days: { type: 'string' }, migrate: { type: 'boolean' } } })
const lines = Number(values.lines ?? 10_000_000)
const days = Number(values.days ?? 30)
if (!positionals[0] || !(lines > 0) || !(days > 0)) throw new Error('usage: fill-orders.ts DATA_DIR [--lines N] [--days D]')

if (values.migrate) await applyMigrations(createClickHouse({ dataDir: positionals[0] }, 'migrations'))
const ch = createClickHouse({ dataDir: positionals[0] }, 'ops')
// Two lines per order, 20 shops, 200k customers, 2,000 products, one line in twenty a refund: the demo's shape.
await ch.command({
  query: `INSERT INTO orders (order_id, ts, shop_id, customer_id, product_id, category, quantity, unit_price, currency, status, country)
    SELECT concat('fill-', toString(intDiv(number, 2))), now64(3, 'UTC') - toIntervalMillisecond(rand64(1) % ${days * 86_400_000}),
           concat('shop-', toString(rand(2) % 20)), concat('c', toString(rand(3) % 200000)), concat('p', toString(rand(4) % 2000)),
           ['toys', 'books', 'games', 'garden'][rand(5) % 4 + 1], 1 + rand(6) % 3, toDecimal64(5 + (rand(7) % 9500) / 100, 4), 'USD',
           if(rand(8) % 20 = 0, 'refunded', 'completed'), ['US', 'DE', 'FR', 'GB', 'JP'][rand(9) % 5 + 1]
    FROM numbers(${lines})`,
  clickhouse_settings: { max_insert_block_size: '1000000' },
})
await ch.close()
console.log(`filled ${lines} order lines over ${days} days`)
