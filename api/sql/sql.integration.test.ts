import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { afterAll, describe, expect, it } from 'vitest'
import { auth, rows, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile, ingestStored, withSqlPort } from '../../test/support/gateway-file.ts'

let analyst: ClickHouseClient
const now = Date.now()

const file = gatewayForFile(withSqlPort(), async (gw) => {
  await ingestStored(gw, { trades: Array.from({ length: 50 }, (_, i) => ({ id: `a${i}`, ts: now - i * 1000, symbol: i % 2 ? 'BTC-USD' : 'ETH-USD', price: 100 + i, qty: 0.5, side: 'buy' })) })
  // Exactly as an analyst would: any user name, the token as password.
  analyst = createClient({ url: file.sqlUrl, password: await tokenFor(['analyst']) })
})
// Registered after the gateway's hooks, so the client closes before the gateway stops.
afterAll(async () => {
  await analyst?.close()
})

describe('the analysts SQL port with @clickhouse/client', () => {
  it('pings', async () => expect((await analyst.ping()).success).toBe(true))

  it('selects in JSONEachRow and CSV, with bound parameters', async () => {
    const rs = await analyst.query({
      query: 'SELECT symbol, count() AS n, sum(price) AS total FROM trades WHERE symbol = {symbol:String} GROUP BY symbol',
      query_params: { symbol: 'BTC-USD' }, format: 'JSONEachRow',
    })
    const [r] = await rs.json<{ symbol: string; n: string | number; total: string | number }>()
    // Odd i are BTC-USD: 25 trades at 100 + i.
    expect([r.symbol, Number(r.n), Number(r.total)]).toEqual(['BTC-USD', 25, 25 * 100 + 25 * 25])
    const csv = await analyst.query({ query: "SELECT symbol, count() AS n FROM trades WHERE symbol IN {s:Array(String)} GROUP BY symbol ORDER BY symbol", query_params: { s: ['ETH-USD', 'NOPE'] }, format: 'CSVWithNames' })
    expect(await csv.text()).toBe('"symbol","n"\n"ETH-USD",25\n')
  })

  it('binds string parameters to exactly the value the client sent: quotes, backslashes, tabs, newlines, unicode', async () => {
    const value = "it's a \\ back\\slash,\ta tab,\na newline, 'quoted' ü 📈"
    const rs = await analyst.query({ query: 'SELECT {v:String} AS v, length({v:String}) AS n', query_params: { v: value }, format: 'JSONEachRow' })
    const [r] = await rs.json<{ v: string; n: string | number }>()
    expect(r.v).toBe(value)
    expect(Number(r.n)).toBe(Buffer.byteLength(value))
  })

  it("a query failing mid-result leaves nothing in the next analyst's answer", async () => {
    const other = createClient({ url: file.sqlUrl, password: await auth.sign({ sub: 'other-analyst', roles: ['analyst'], symbols: ['*'], shops: ['*'] }, '1h') })
    try {
      // The error comes after tens of thousands of rows were produced; wait_end_of_query makes it the status
      // whatever the timing (without it, the port may have sent 200 and its first MiB before the engine fails).
      await expect(analyst.query({ query: 'SELECT number, throwIf(number = 150000) FROM numbers(200000)', format: 'TabSeparated', clickhouse_settings: { wait_end_of_query: 1 } }))
        .rejects.toMatchObject({ code: '395' }) // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
      expect(await (await other.query({ query: "SELECT 'mine'", format: 'TabSeparated' })).text()).toBe('mine\n')
    } finally {
      await other.close()
    }
  })

  it('streams a large result', async () => {
    const rs = await analyst.query({ query: 'SELECT number, toString(number) AS s FROM numbers(300000)', format: 'JSONCompactEachRow' })
    let n = 0
    for await (const batch of rs.stream()) n += batch.length
    expect(n).toBe(300000)
  })

  it('refuses every write, DDL, readonly-lifting setting and file/network table function with ClickHouse codes', async () => {
    const refused = async (run: () => Promise<unknown>) => {
      const err = (await run().then(() => undefined, (e: unknown) => e)) as { code?: string } | undefined
      expect(err, 'should have been refused').toBeDefined()
      return err!.code
    }
    expect(await refused(() => analyst.command({ query: "INSERT INTO trades (id, ts, symbol, price, qty, side) VALUES ('x', now(), 'X', 1, 1, 'buy')" }))).toBe('164')
    expect(await refused(() => analyst.insert({ table: 'trades', values: [{ id: 'y', ts: now, symbol: 'X', price: 1, qty: 1, side: 'buy' }], format: 'JSONEachRow' }))).toBe('164')
    expect(await refused(() => analyst.command({ query: 'CREATE TABLE evil (a Int8) ENGINE = Memory' }))).toBe('164')
    expect(await refused(() => analyst.command({ query: 'DROP TABLE trades' }))).toBe('164')
    expect(await refused(() => analyst.command({ query: 'TRUNCATE TABLE trades' }))).toBe('164')
    expect(await refused(() => analyst.command({ query: 'ALTER TABLE trades DELETE WHERE 1' }))).toBe('164')
    expect(await refused(() => analyst.query({ query: 'SELECT 1 SETTINGS readonly = 0' }))).toBe('164')
    expect(await refused(() => analyst.command({ query: 'SET readonly = 0' }))).toBe('164')
    expect(await refused(() => analyst.query({ query: 'SELECT 1', clickhouse_settings: { readonly: '0' } }))).toBe('164')
    expect(await refused(() => analyst.query({ query: 'SELECT 1', clickhouse_settings: { max_execution_time: 100000 } }))).toBe('452')
    expect(await refused(() => analyst.query({ query: "SELECT * FROM file('/etc/passwd', 'LineAsString')" }))).toBe('497')
    expect(await refused(() => analyst.query({ query: "SELECT * FROM url('http://127.0.0.1:1/x', 'LineAsString')" }))).toBe('497')
    const [t] = await rows<{ n: string }>(file.gw.clickhouse('ops'), 'SELECT count() AS n FROM trades')
    expect(Number(t.n)).toBe(50)
  })

  it('answers ClickHouse error bodies: syntax, unknown table, authentication, role', async () => {
    const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code)
    expect(await code(analyst.query({ query: 'SELEC 1' }))).toBe('62')
    expect(await code(analyst.query({ query: 'SELECT * FROM no_such_table' }))).toBe('60')
    const stranger = createClient({ url: file.sqlUrl, password: 'not-a-token' })
    expect(await code(stranger.query({ query: 'SELECT 1' }))).toBe('516')
    const trader = createClient({ url: file.sqlUrl, password: await tokenFor(['trader']) })
    expect(await code(trader.query({ query: 'SELECT 1' }))).toBe('497')
    await Promise.all([stranger.close(), trader.close()])
  })

  it('works with curl-style requests: query in the URL, X-ClickHouse-Key, FORMAT clause', async () => {
    const token = await tokenFor(['analyst'])
    const r = await fetch(`${file.sqlUrl}/?query=${encodeURIComponent("SELECT count() AS n FROM trades FORMAT JSONEachRow")}`, { headers: { 'X-ClickHouse-User': 'ana', 'X-ClickHouse-Key': token } })
    expect(r.status).toBe(200)
    expect(r.headers.get('x-clickhouse-format')).toBe('JSONEachRow')
    expect(Number((JSON.parse(await r.text()) as { n: string }).n)).toBe(50)
    const bad = await fetch(`${file.sqlUrl}/?query=${encodeURIComponent('DROP TABLE trades')}`, { headers: { 'X-ClickHouse-Key': token } })
    // 403 Forbidden (a ClickHouse server says 500 for READONLY; the port deliberately does not).
    expect(`${bad.status} ${bad.statusText}`).toBe('403 Forbidden')
    expect(bad.headers.get('x-clickhouse-exception-code')).toBe('164')
    expect(await bad.text()).toMatch(/^Code: 164\. DB::Exception: /)
    expect(await (await fetch(`${file.sqlUrl}/ping`)).text()).toBe('Ok.\n')
  })
})
