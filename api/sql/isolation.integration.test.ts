// Regression tests for issue 10 findings 3-5 and issue 15's isolation items: what one analyst
// does never reaches the host, another analyst, or the catalog/ingest/live workloads.
import { describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { auth, ingest, rows, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile, ingestStored, withSqlPort } from '../../test/support/gateway-file.ts'
import { postSql } from '../../test/support/sql-port.ts'

let alice: string
let bob: string
const now = Date.now()

const file = gatewayForFile(withSqlPort({ SQL_MAX_QUERIES_PER_USER: '2', SQL_MAX_CONCURRENT_QUERIES: '3' }), async (gw) => {
  alice = await auth.sign({ sub: 'alice', roles: ['analyst'], symbols: ['*'], shops: ['*'] }, '1h')
  bob = await auth.sign({ sub: 'bob', roles: ['analyst'], symbols: ['*'], shops: ['*'] }, '1h')
  await ingestStored(gw, { trades: Array.from({ length: 20 }, (_, i) => ({ id: `t${i}`, ts: now - i * 1000, symbol: 'BTC-USD', price: 100 + i, qty: 1, side: 'buy' })) })
})

/** Analyst statements the engine is running now (the port marks each with its log_comment). */
const analystQueries = async () => Number((await rows<{ n: string }>(file.gw.clickhouse('ops'), "SELECT count() AS n FROM system.processes WHERE Settings['log_comment'] LIKE 'livehouse-analyst:%'"))[0].n)

function sql(token: string, query: string, params: Record<string, string> = {}, init: RequestInit = {}) {
  const url = new URL(file.sqlUrl)
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  return postSql(url, token, query, init)
}

/**
 * `n` statements of `token` that run until stopped (a trillion rows, far inside the port's 60 s
 * cap), so a test sees them running however slow the machine is; `stop()` aborts one.
 */
function untilAborted(token: string, n: number, query: string, params: Record<string, string> = {}) {
  return Array.from({ length: n }, () => {
    const abort = new AbortController()
    const ended = sql(token, query, params, { signal: abort.signal }).then((r) => `finished ${r.status} ${r.code}`, () => 'aborted')
    return { stop: () => (abort.abort(), ended) }
  })
}

describe('finding 3: no control of the server, no look at other sessions', () => {
  for (const q of ['SYSTEM STOP MERGES', 'SYSTEM STOP TTL MERGES', 'SYSTEM STOP MOVES', 'SYSTEM STOP VIEWS', 'SYSTEM FLUSH LOGS', 'SYSTEM DROP DNS CACHE', 'KILL QUERY WHERE 1', 'OPTIMIZE TABLE trades FINAL']) {
    it(`refuses ${q} as readonly (164)`, async () => {
      expect((await sql(alice, q)).code).toBe('164')
    })
  }
  for (const q of ['SELECT * FROM system.stack_trace', 'SELECT query FROM system.processes', 'SHOW PROCESSLIST', 'SELECT * FROM system.query_log',
    "SELECT getServerSetting('user_files_path')", 'SELECT addressToSymbol(toUInt64(1))', 'SELECT demangle(\'x\')', 'SELECT * FROM system.server_settings',
    'SELECT * FROM system.users', 'SELECT hostName()', 'SHOW CLUSTERS', 'SHOW MERGES', 'SHOW ENGINES', 'SHOW GRANTS', 'SELECT * FROM merge(\'default\', \'^dash\')', "SELECT * FROM remote('127.0.0.1', system.one)"]) {
    it(`refuses ${q}`, async () => {
      const r = await sql(alice, q)
      expect([r.code, r.status]).toEqual([['SHOW PROCESSLIST', 'SHOW ENGINES', 'SHOW GRANTS'].includes(q) ? '164' : '497', 403])
    })
  }
  it('keeps the catalogue a SQL client browses readable', async () => {
    for (const q of ["SELECT name FROM system.tables WHERE database = 'default' AND name = 'trades'", "SELECT count() > 0 FROM system.columns WHERE table = 'trades'",
      "SELECT count() > 100 FROM system.functions", 'SHOW TABLES', 'DESCRIBE TABLE trades', 'EXISTS TABLE trades', 'SHOW DATABASES']) {
      const r = await sql(alice, q)
      expect(r.status, `${q}: ${r.body}`).toBe(200)
    }
  })
  it('refuses the internal tables (issue 13 item 4), however they are reached', async () => {
    for (const q of ['SELECT * FROM dashboards', 'SELECT * FROM default.dashboards', 'SELECT count() FROM livehouse_migrations', "SELECT 1 WHERE 'x' IN dashboards",
      'SELECT * FROM view(SELECT * FROM dashboards)', 'SHOW CREATE TABLE dashboards', 'WITH d AS (SELECT * FROM dead_letters) SELECT * FROM d', "SELECT joinGet('dashboards', 'id', 1)"]) {
      expect((await sql(alice, q)).code, q).toBe('497')
    }
  })
  it('reads every data table and rollup, and refuses every other table of the migrations (a new one must be reviewed)', async () => {
    // The data analysts query; everything else in `default` is Livehouse's own (bookkeeping,
    // ingestion landing tables, materialized views that read through to their targets).
    const dataTables = ['trades', 'orders', 'web_events', 'candles_1s', 'candles_1m', 'candles_1h', 'sales_1m', 'sales_1h', 'product_sales_1h', 'customer_stats', 'funnel_1m',
      'customer_refunds', 'insight_rfm', 'insight_order_risk', 'insight_forecast']
    const all = (await rows<{ name: string }>(file.gw.clickhouse('ops'), "SELECT name FROM system.tables WHERE database = 'default' ORDER BY name")).map((r) => r.name)
    expect(all).toEqual(expect.arrayContaining(dataTables))
    expect(all.length).toBeGreaterThan(dataTables.length)
    // Readable: answered, or asked for its parameters (code 90, the insight views are parameterized); refused: 497.
    const outcome: Record<string, string> = {}
    for (const t of all) outcome[t] = (await sql(alice, `SELECT count() FROM \`${t}\``)).code === '497' ? 'refused' : 'readable'
    expect(outcome).toEqual(Object.fromEntries(all.map((t) => [t, dataTables.includes(t) ? 'readable' : 'refused'])))
  })
})

describe('finding 4: an analyst cannot kill anyone\'s query', () => {
  it('refuses KILL QUERY in any form, and ingestion keeps answering 200', async () => {
    const kills = (async () => {
      const codes: (string | null)[] = []
      for (let i = 0; i < 10; i++) codes.push((await sql(alice, "KILL QUERY WHERE query LIKE 'INSERT%'")).code)
      return codes
    })()
    const inserts = Array.from({ length: 10 }, (_, i) => ingest(file.gw, 'trades', [{ id: `k${i}`, ts: now, symbol: 'ETH-USD', price: 1, qty: 1, side: 'sell' }]))
    expect(await kills).toEqual(Array(10).fill('164'))
    expect((await Promise.all(inserts)).map((r) => r.status)).toEqual(Array(10).fill(200))
  })
})

describe('finding 5: an abandoned query stalls nothing and is cancelled', () => {
  it('a parameterised query whose client went away is killed, and catalog queries answer meanwhile', async () => {
    const abort = new AbortController()
    const abandoned = sql(alice, 'SELECT sum(number) FROM numbers({n:UInt64})', { param_n: '1000000000000' }, { signal: abort.signal }).catch(() => 'aborted')
    // Its engine query is running (seen from the engine's own process list) before the client leaves.
    await eventually(async () => expect(await analystQueries()).toBe(1))
    abort.abort()
    expect(await abandoned).toBe('aborted')
    // A catalog query (bound parameters, its own connection) answers while nothing analyst is left.
    const catalog = await fetch(`${file.gw.url}/api/v1/queries`, { headers: { authorization: `Bearer ${await tokenFor(['trader'])}` } })
    expect(catalog.status).toBeLessThan(500)
    await eventually(async () => expect(await analystQueries()).toBe(0), { timeoutMs: 30_000 })
  })

  it('a bound query of the catalog is not queued behind a slow analyst query with parameters', async () => {
    const [slow] = untilAborted(alice, 1, 'SELECT sum(number), {x:UInt8} FROM numbers(1000000000000)', { param_x: '1' })
    await eventually(async () => expect(await analystQueries()).toBe(1))
    // A bound query on another connection answers while the analyst's query still runs.
    expect(await rows(file.gw.clickhouse('queries'), 'SELECT {v:UInt8} AS v', { v: 1 })).toEqual([{ v: 1 }])
    expect(await analystQueries()).toBe(1)
    expect(await slow.stop()).toBe('aborted')
    await eventually(async () => expect(await analystQueries()).toBe(0), { timeoutMs: 30_000 })
  })

  it('caps concurrent queries per analyst with code 202, and another analyst still gets in', async () => {
    const slots = untilAborted(alice, 2, 'SELECT sum(number) FROM numbers(1000000000000)')
    await eventually(async () => expect(await analystQueries()).toBe(2))
    expect((await sql(alice, 'SELECT 1')).code).toBe('202')
    expect((await sql(bob, 'SELECT 1')).body).toBe('1\n')
    expect(await Promise.all(slots.map((q) => q.stop()))).toEqual(['aborted', 'aborted'])
    await eventually(async () => expect(await analystQueries()).toBe(0), { timeoutMs: 30_000 })
  })
})

describe('the browser door (/api/v1/sql) cancels too', () => {
  it('a query whose browser tab went away is killed; the schema catalogue stays readable there', async () => {
    const abort = new AbortController()
    const gone = fetch(`${file.gw.url}/api/v1/sql?param_n=1000000000000`, { method: 'POST', body: 'SELECT sum(number) FROM numbers({n:UInt64})', headers: { authorization: `Bearer ${alice}` }, signal: abort.signal }).catch(() => 'aborted')
    await eventually(async () => expect(await analystQueries()).toBe(1))
    abort.abort()
    expect(await gone).toBe('aborted')
    await eventually(async () => expect(await analystQueries()).toBe(0), { timeoutMs: 30_000 })
    for (const q of ["SELECT count() > 0 FROM system.tables WHERE database = 'default'", 'SELECT count() > 0 FROM system.columns', 'SELECT count() > 100 FROM system.functions']) {
      const r = await fetch(`${file.gw.url}/api/v1/sql`, { method: 'POST', body: q, headers: { authorization: `Bearer ${alice}` } })
      expect([r.status, await r.text()], q).toEqual([200, '1\n'])
    }
  })
})

describe('protocol details (issue 15 item 3)', () => {
  it('summary and progress headers carry real counts; the content type follows the format', async () => {
    const r = await sql(alice, 'SELECT number FROM numbers(12345) WHERE number % 5 = 0', { send_progress_in_http_headers: '1', wait_end_of_query: '1' })
    const summary = JSON.parse(r.headers.get('x-clickhouse-summary')!) as Record<string, string>
    expect(summary.result_rows).toBe('2469')
    expect(Number(summary.elapsed_ns)).toBeGreaterThan(0)
    expect(JSON.parse(r.headers.get('x-clickhouse-progress')!)).toMatchObject({ result_rows: '2469' })
    for (const [format, type] of [['Pretty', 'text/plain; charset=UTF-8'], ['JSON', 'application/json; charset=UTF-8'], ['CSVWithNames', 'text/csv; charset=UTF-8; header=present'], ['Parquet', 'application/octet-stream']]) {
      const f = await sql(alice, `SELECT 1 AS x FORMAT ${format}`)
      expect([f.headers.get('content-type'), f.headers.get('x-clickhouse-format')], format).toEqual([type, format])
    }
    const byHeader = await sql(alice, 'SELECT 1 AS x', {}, { headers: { 'X-ClickHouse-Format': 'JSONEachRow', 'X-ClickHouse-Database': 'system' } })
    expect(byHeader.body).toBe('{"x":1}\n')
    expect((await sql(alice, 'SELECT currentDatabase()', {}, { headers: { 'X-ClickHouse-Database': 'system' } })).body).toBe('system\n')
    expect((await sql(alice, 'SELECT 1', { query_id: 'my-query-1' })).headers.get('x-clickhouse-query-id')).toBe('my-query-1')
  })
})

describe('per-request isolation (issue 15 item 1)', () => {
  it('USE in one request does not move the next request or another analyst', async () => {
    expect((await sql(alice, 'USE system')).status).toBe(200)
    expect((await sql(alice, 'SELECT currentDatabase()')).body).toBe('default\n')
    expect((await sql(bob, 'SELECT currentDatabase()')).body).toBe('default\n')
  })
  it('a session_id keeps USE for its user only; another user with the same id gets a fresh session', async () => {
    expect((await sql(alice, 'USE system', { session_id: 'shared-id' })).status).toBe(200)
    expect((await sql(alice, 'SELECT currentDatabase()', { session_id: 'shared-id' })).body).toBe('system\n')
    expect((await sql(bob, 'SELECT currentDatabase()', { session_id: 'shared-id' })).body).toBe('default\n')
    expect((await sql(bob, 'SELECT 1', { session_id: 'other', session_check: '1' })).code).toBe('372')
  })
  it('settings of one request are not inherited by the next', async () => {
    expect((await sql(alice, "SELECT getSetting('max_threads')", { max_threads: '1' })).body).toBe('1\n')
    const fresh = (await sql(bob, "SELECT getSetting('output_format_json_quote_64bit_integers')")).body
    const flipped = fresh === 'true\n' ? '0' : '1'
    expect((await sql(alice, "SELECT getSetting('output_format_json_quote_64bit_integers')", { output_format_json_quote_64bit_integers: flipped })).body).not.toBe(fresh)
    expect((await sql(alice, "SELECT getSetting('output_format_json_quote_64bit_integers')")).body).toBe(fresh)
    expect((await sql(alice, "SELECT getSetting('max_threads')")).body).toBe(`${(await sql(bob, "SELECT getSetting('max_threads')")).body.trim()}\n`)
  })
  it('runs one statement per request: a second is a syntax error (62), and neither runs', async () => {
    const r = await sql(alice, "SELECT 1; SELECT file('/etc/passwd')")
    expect([r.code, r.status]).toEqual(['62', 400])
  })
  it('refuses settings outside the allowlist (164) or past a cap (452), through every channel', async () => {
    expect((await sql(alice, 'SELECT 1', { allow_introspection_functions: '1' })).code).toBe('164')
    expect((await sql(alice, 'SELECT 1', { max_execution_time: '100000' })).code).toBe('452')
    expect((await sql(alice, 'SELECT 1', { max_result_rows: '0' })).code).toBe('452')
    expect((await sql(alice, 'SELECT 1 SETTINGS max_execution_time = 100000')).code).toBe('164')
    expect((await sql(alice, 'SELECT 1 SETTINGS allow_introspection_functions = 1')).code).toBe('164')
    expect((await sql(alice, 'SET readonly = 0')).code).toBe('164')
    expect((await sql(alice, 'SET allow_introspection_functions = 1')).code).toBe('164')
    expect((await sql(alice, 'SELECT 1', { log_comment: 'livehouse-analyst:forged' })).code).toBe('164')
    const form = new FormData()
    form.set('query', 'SELECT 1')
    form.set('readonly', '0')
    expect((await sql(alice, '', {}, { body: form })).code).toBe('164')
  })
  it('answers real status lines and the same version everywhere', async () => {
    const denied = await sql(alice, 'SELECT * FROM dashboards')
    expect(`${denied.status} ${denied.statusText}`).toBe('403 Forbidden')
    const version = (await sql(alice, 'SELECT version()')).body.trim()
    expect(denied.body).toContain(`(version ${version} (livehouse))`)
  })
})

describe('operators and repeated statements', () => {
  it('an operator (admin) reads internal and system tables, but never files or the host', async () => {
    const admin = await tokenFor(['admin'])
    expect((await sql(admin, 'SELECT count() >= 0 FROM dashboards')).status).toBe(200)
    expect((await sql(admin, 'SELECT count() >= 0 FROM system.processes')).status).toBe(200)
    expect((await sql(admin, "SELECT file('/proc/self/environ')")).code).toBe('497')
    expect((await sql(admin, "SELECT 'x' INTO OUTFILE '/tmp/livehouse-admin-outfile'")).code).toBe('164')
  })
  it('a cached verdict is per statement text and database, and Identifier parameters are judged every time', async () => {
    const q = 'SELECT count() >= 0 FROM {t:Identifier}'
    expect((await sql(alice, q, { param_t: 'trades' })).status).toBe(200)
    expect((await sql(alice, q, { param_t: 'dashboards' })).code).toBe('497')
    expect((await sql(alice, 'SELECT count() >= 0 FROM tables')).code).toBe('60')
    expect((await sql(alice, 'SELECT count() >= 0 FROM tables', {}, { headers: { 'X-ClickHouse-Database': 'system' } })).status).toBe(200)
    expect((await sql(alice, 'SELECT count() >= 0 FROM processes', {}, { headers: { 'X-ClickHouse-Database': 'system' } })).code).toBe('497')
    expect((await sql(alice, 'SELECT count() >= 0 FROM processes', {}, { headers: { 'X-ClickHouse-Database': 'system' } })).code).toBe('497')
  })
})

describe('scoped analysts (issue 13 item 4)', () => {
  it('refuses a token scoped to some symbols with a 403 that says why', async () => {
    const scoped = await tokenFor(['analyst'], { symbols: ['BTC-USD'] })
    const r = await sql(scoped, 'SELECT count() FROM trades')
    expect([r.status, r.code]).toEqual([403, '497'])
    expect(r.body).toMatch(/scoped.*row policies/)
    // The same denial names the same code as on every other surface (api/access.ts): scope NOT_ENTITLED, role FORBIDDEN.
    expect(r.body).toMatch(/^Code: 497\. DB::Exception: NOT_ENTITLED: /)
    const trader = await sql(await tokenFor(['trader']), 'SELECT 1')
    expect([trader.status, trader.code]).toEqual([403, '497'])
    expect(trader.body).toMatch(/^Code: 497\. DB::Exception: FORBIDDEN: .*analyst/)
    const internal = await sql(await tokenFor(['analyst']), 'SELECT count() FROM dashboards')
    expect([internal.status, internal.code]).toEqual([403, '497'])
    expect(internal.body).toMatch(/^Code: 497\. DB::Exception: FORBIDDEN: .*internal/)
  })
})
