import { setTimeout as sleep } from 'node:timers/promises'
import { createAuth } from './api/auth.ts'
import { startGatewayProc } from './bench/live/processes.ts'
// @ts-expect-error plain ESM
import { getFreePort } from './scripts/lib/proc.mjs'
const secret = 'bench-quiet-secret-which-is-long-enough-for-hs256'
const sqlPort = await getFreePort()
const gw = await startGatewayProc({ AUTH_SECRET: secret, DEMO_RATE: '2000', SQL_PORT: String(sqlPort) })
const admin = await createAuth(secret).sign({ sub: 'a', roles: ['admin'], symbols: ['*'], shops: ['*'] }, '1h')
const sql = async (q: string) => (await fetch(`http://127.0.0.1:${sqlPort}/`, { method: 'POST', body: q, headers: { 'X-ClickHouse-Key': admin } })).text()
try {
  for (let i = 0; i < 3; i++) {
    await sleep(65_000)
    console.log(await sql(`SELECT database, view, status, last_success_time, last_refresh_time, next_refresh_time, read_rows, written_rows, read_bytes FROM system.view_refreshes ORDER BY view FORMAT PrettyCompactMonoBlock`).catch(String))
    console.log(await sql(`SELECT count() FROM orders FORMAT TSV`))
  }
  console.log(await sql(`SELECT name, value FROM system.settings WHERE name IN ('max_threads') FORMAT TSV`))
} finally { await gw.stop() }
