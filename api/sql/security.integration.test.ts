// Regression tests for the analyst SQL port's critical findings (issue 10, findings 1 and 2):
// the `file` function read the process environment (AUTH_SECRET) and INTO OUTFILE wrote files,
// both on the port and through the browser's `/api/v1/sql`.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { testSecret, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile, withSqlPort } from '../../test/support/gateway-file.ts'
import { postSql, sqlAnswer } from '../../test/support/sql-port.ts'

let token: string
const scratch = mkdtempSync(join(tmpdir(), 'livehouse-outfile-'))

afterAll(() => rmSync(scratch, { recursive: true, force: true }))
const file = gatewayForFile(withSqlPort(), async () => {
  token = await tokenFor(['analyst'])
})

/** One statement on the port as curl would send it: body = SQL, the token as X-ClickHouse-Key. */
const onPort = (sql: string) => postSql(file.sqlUrl, token, sql, { headers: { 'X-ClickHouse-User': 'ana' } })

/** The same through the browser's door. */
async function viaApi(sql: string) {
  return sqlAnswer(await fetch(`${file.gw.url}/api/v1/sql`, { method: 'POST', body: sql, headers: { authorization: `Bearer ${token}` } }))
}

describe('finding 1: no file is readable through SQL', () => {
  const reads = [
    "SELECT file('/proc/self/environ')",
    "SELECT FILE('/proc/self/environ')",
    "SELECT file('/etc/passwd')",
    "SELECT length(file('/proc/self/environ')) AS n",
    "SELECT * FROM (SELECT file('/proc/self/environ') AS e)",
    "SELECT 1 WHERE position(file('/proc/self/environ'), 'AUTH') > 0",
    "WITH file('/proc/self/environ') AS e SELECT e",
    "SELECT * FROM view(SELECT file('/proc/self/environ'))",
    "EXPLAIN SYNTAX SELECT file('/proc/self/environ')",
    "DESCRIBE (SELECT file('/proc/self/environ'))",
    "SELECT arrayMap(x -> file(x), ['/proc/self/environ'])",
  ]
  for (const sql of reads) {
    it(`refuses ${sql}`, async () => {
      for (const r of [await onPort(sql), await viaApi(sql)]) {
        expect(r.body).not.toContain(testSecret)
        expect(r.code, r.body).toBe('497')
        expect(r.status).toBe(403)
      }
    })
  }

  it('still answers an ordinary query (the refusals above are not a broken port)', async () => {
    const r = await onPort('SELECT 40 + 2')
    expect([r.status, r.body]).toEqual([200, '42\n'])
  })
})

describe('finding 2: no file is written through SQL', () => {
  it('refuses INTO OUTFILE in every statement that takes it, and writes nothing', async () => {
    const target = join(scratch, 'written.txt')
    const forms = [
      `SELECT 'x' INTO OUTFILE '${target}' FORMAT RawBLOB`,
      `SELECT 'x' INTO OUTFILE '${target}' TRUNCATE FORMAT RawBLOB`,
      `SELECT 'x' INTO OUTFILE '${target}' APPEND FORMAT RawBLOB`,
      `SELECT 'x' INTO OUTFILE '${target}' AND STDOUT FORMAT RawBLOB`,
      `SELECT 'x' INTO OUTFILE '${target}' COMPRESSION 'gzip'`,
      `(SELECT 'x') UNION ALL (SELECT 'y') INTO OUTFILE '${target}'`,
      `SHOW TABLES INTO OUTFILE '${target}'`,
      `DESCRIBE TABLE system.one INTO OUTFILE '${target}'`,
      `EXPLAIN SELECT 1 INTO OUTFILE '${target}'`,
      `EXISTS TABLE system.one INTO OUTFILE '${target}'`,
    ]
    for (const sql of forms) {
      for (const r of [await onPort(sql), await viaApi(sql)]) {
        expect(r.status, `${sql}: ${r.body}`).not.toBe(200)
        expect(existsSync(target), sql).toBe(false)
      }
    }
  })

  it('cannot overwrite an existing file', async () => {
    const target = join(scratch, 'kept.txt')
    writeFileSync(target, 'original')
    for (const r of [await onPort(`SELECT 'evil' INTO OUTFILE '${target}' TRUNCATE FORMAT RawBLOB`), await viaApi(`SELECT 'evil' INTO OUTFILE '${target}' APPEND FORMAT RawBLOB`)]) {
      expect(r.status).not.toBe(200)
    }
    expect(readFileSync(target, 'utf8')).toBe('original')
  })
})
