// Hostile input on the analyst SQL port (issue 15 "Must show"): each gets a clear ClickHouse
// error, nothing runs that should not, the process stays up and the next request is served.
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { auth, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile, withSqlPort } from '../../test/support/gateway-file.ts'
import { postSql } from '../../test/support/sql-port.ts'

let token: string

const file = gatewayForFile(withSqlPort(), async () => {
  token = await tokenFor(['analyst'])
})

const post = (body: BodyInit, headers: Record<string, string> = {}, query = '') => postSql(`${file.sqlUrl}/${query}`, token, body, { headers })

/** The port still answers, and the engine still runs ordinary statements. */
async function stillServing() {
  expect(await post('SELECT 6 * 7')).toMatchObject({ status: 200, body: '42\n' })
}

describe('hostile input on the SQL port', () => {
  it('compressed junk is refused as undecodable and never run as SQL', async () => {
    expect((await post(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' })).code).toBe('271')
    expect((await post(Buffer.from([0x04, 0x22, 0x4d, 0x18, 1, 2, 3]), { 'content-encoding': 'lz4' })).code).toBe('779')
    expect((await post('SELECT 1', { 'content-encoding': 'x-made-up' })).code).toBe('779')
    // A valid gzip body is decoded and runs; a gzip bomb past the query size is refused.
    expect(await post(gzipSync('SELECT 40 + 2'), { 'content-encoding': 'gzip' })).toMatchObject({ status: 200, body: '42\n' })
    expect((await post(gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)), { 'content-encoding': 'gzip' })).code).toBe('62')
    await stillServing()
  })

  it('a NUL-prefixed or NUL-carrying body is a syntax error', async () => {
    expect((await post(Buffer.concat([Buffer.from([0]), Buffer.from('SELECT 1')]))).code).toBe('62')
    expect((await post("SELECT 'a\u0000'; SELECT file('/etc/passwd')")).code).toBe('62')
    await stillServing()
  })

  it('huge headers are refused by the transport or ignored, and the port keeps serving', async () => {
    const r = await fetch(`${file.sqlUrl}/`, { method: 'POST', body: 'SELECT 1', headers: { 'X-ClickHouse-Key': token, 'X-Junk': 'x'.repeat(64 * 1024) } }).then((x) => x.status, () => 'refused')
    expect([200, 400, 431, 'refused']).toContain(r)
    await stillServing()
  })

  it('10,000 parameters bind; 10,001 are refused', async () => {
    // As form fields: 10,000 in the URL are past what the transport takes in a request line.
    const form = new FormData()
    form.set('query', 'SELECT {p0:UInt32} + {p9999:UInt32}')
    for (let i = 0; i < 10_000; i++) form.set(`param_p${i}`, String(i))
    const r = await post(form)
    expect([r.status, r.body]).toEqual([200, '9999\n'])
    form.set('param_extra', '1')
    expect((await post(form)).code).toBe('36')
    await stillServing()
  })

  it('a parameter value cannot escape its literal', async () => {
    // Values in ClickHouse's escaped form: each binds as the very string it spells.
    for (const [v, bound] of [["x'; SELECT file('/etc/passwd') --", "x'; SELECT file('/etc/passwd') --"], ["\\'); DROP TABLE trades; --", "'); DROP TABLE trades; --"], ['a\\\\', 'a\\'], ["'''", "'''"]]) {
      const r = await post('SELECT {v:String} AS v FORMAT TSVRaw', {}, `?param_v=${encodeURIComponent(v)}`)
      expect([r.status, r.body], v).toEqual([200, `${bound}\n`])
    }
    // A lone trailing backslash is not valid escaped text: refused, as a server refuses it.
    expect((await post('SELECT {v:String}', {}, `?param_v=${encodeURIComponent('a\\')}`)).status).not.toBe(200)
    const typed = await post('SELECT {n:UInt64}', {}, `?param_n=${encodeURIComponent('1) + (SELECT 1')}`)
    expect(typed.code).toBe('457')
    const ident = await post('SELECT * FROM {t:Identifier}', {}, '?param_t=dashboards')
    expect(ident.code).toBe('497')
  })

  it('settings injection through every channel is refused', async () => {
    // URL, multipart form field, the SETTINGS clause, SET, a header that names a database, one that names a format.
    expect((await post('SELECT 1', {}, '?readonly=0')).code).toBe('164')
    expect((await post('SELECT 1', {}, '?max_execution_time=99999')).code).toBe('452')
    expect((await post('SELECT 1', {}, `?${encodeURIComponent('max_threads=1, readonly')}=0`)).code).toBe('115')
    expect((await post('SELECT 1', {}, '?output_format_schema=/tmp/x')).code).toBe('164')
    const form = new FormData()
    form.set('query', 'SELECT 1')
    form.set('allow_ddl', '1')
    expect((await post(form)).code).toBe('164')
    expect((await post('SELECT 1 SETTINGS readonly = 0')).code).toBe('164')
    expect((await post('SELECT 1 SETTINGS max_memory_usage = 0')).code).toBe('164')
    expect((await post('SET max_result_rows = 0')).code).toBe('164')
    expect((await post('SELECT 1', { 'X-ClickHouse-Database': 'system; DROP' })).code).toBe('81')
    expect((await post('SELECT 1', { 'X-ClickHouse-Format': 'TSV SETTINGS readonly=0' })).status).not.toBe(200)
    await stillServing()
  })

  it('a session id cannot be taken over by another user', async () => {
    const mallory = await auth.sign({ sub: 'mallory', roles: ['analyst'], symbols: ['*'], shops: ['*'] }, '1h')
    expect((await post('USE system', {}, '?session_id=victim-session')).code).toBeNull()
    const theirs = await fetch(`${file.sqlUrl}/?session_id=victim-session&session_check=1`, { method: 'POST', body: 'SELECT currentDatabase()', headers: { 'X-ClickHouse-Key': mallory } })
    expect(theirs.headers.get('x-clickhouse-exception-code')).toBe('372')
    expect(await post('SELECT currentDatabase()', {}, '?session_id=victim-session')).toMatchObject({ body: 'system\n' })
    expect((await post('SELECT 1', {}, `?session_id=${encodeURIComponent('../../etc')}`)).code).toBe('36')
    // A refused request leaves its session free for the next one (no SESSION_IS_LOCKED).
    expect((await post('SELECT 1', { 'X-ClickHouse-Database': 'nope' }, '?session_id=kept-free')).code).toBe('81')
    expect((await post('SELECT * FROM dashboards', {}, '?session_id=kept-free')).code).toBe('497')
    expect(await post('SELECT 1', {}, '?session_id=kept-free')).toMatchObject({ status: 200, body: '1\n' })
  })

  it('garbage credentials and bodies do not take the port down', async () => {
    const garbage: Record<string, string>[] = [{ authorization: 'Basic ' + 'A'.repeat(10_000) }, { authorization: 'Bearer ' + 'x.y.z' }, { 'X-ClickHouse-Key': '\u00ff'.repeat(100) }]
    for (const headers of garbage) {
      const r = await fetch(`${file.sqlUrl}/`, { method: 'POST', body: 'SELECT 1', headers })
      expect(r.headers.get('x-clickhouse-exception-code')).toBe('516')
    }
    expect((await post(Buffer.from([0xff, 0xfe, 0x00, 0x80]))).status).toBeGreaterThanOrEqual(400)
    expect((await post('SELECT ' + '('.repeat(5000) + '1' + ')'.repeat(5000))).status).toBeGreaterThanOrEqual(400)
    await stillServing()
  })
})
