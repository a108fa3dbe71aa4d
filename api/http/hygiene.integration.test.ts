// HTTP hygiene against the real gateway, with raw requests a client library would never send:
// ambiguous framing (request smuggling behind a proxy) and malformed URLs.
import { describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { rows, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'
import { rawHttp } from '../../test/support/raw-socket.ts'

let port: number
let ingestToken: string

const file = gatewayForFile({ INGEST_FLUSH_MS: '10' }, async (gw) => {
  port = Number(new URL(gw.url).port)
  ingestToken = await tokenFor(['ingest'])
})

const errorCode = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error.code
const trade = (id: string) => JSON.stringify({ id, ts: Date.now() - 1000, symbol: 'HYG-A', price: 1, qty: 1, side: 'buy' })
const post = (headers: string[], body: string) =>
  [`POST /v1/events/trades HTTP/1.1`, 'Host: x', `Authorization: Bearer ${ingestToken}`, 'Content-Type: application/x-ndjson', ...headers, '', body].join('\r\n')
const chunked = (body: string) => `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`
const stored = async (id: string) => (await rows(file.gw.clickhouse('ops'), 'SELECT count() AS n FROM trades WHERE id = {id:String}', { id }))[0]?.n

describe('ambiguous framing', () => {
  it('refuses duplicate Content-Length headers with 400 and stores nothing', async () => {
    const body = trade('dup-cl')
    for (const lengths of [[body.length, 5], [body.length, body.length]]) {
      const r = await rawHttp(port, post(lengths.map((n) => `Content-Length: ${n}`), body))
      expect([r.status, errorCode(r.text)]).toEqual([400, 'AMBIGUOUS_FRAMING'])
      expect(r.text.toLowerCase()).toContain('connection: close')
    }
    expect(Number(await stored('dup-cl'))).toBe(0)
  })

  it('refuses a Transfer-Encoding other than one plain chunked with 400', async () => {
    const body = trade('odd-te')
    for (const te of [['Transfer-Encoding: gzip, chunked'], ['Transfer-Encoding: chunked', 'Transfer-Encoding: identity'], ['Transfer-Encoding: xchunked']]) {
      const r = await rawHttp(port, post(te, chunked(body)))
      expect([te, r.status, errorCode(r.text)]).toEqual([te, 400, 'AMBIGUOUS_FRAMING'])
    }
    // With both headers uWS itself drops the connection before any handler runs: never a 2xx.
    const both = await rawHttp(port, post([`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked'], body))
    expect(both.status === 0 || both.status === 400).toBe(true)
    expect(Number(await stored('odd-te'))).toBe(0)
  })

  it('still accepts one Content-Length, and one plain chunked encoding', async () => {
    const one = trade('plain-cl')
    expect((await rawHttp(port, post([`Content-Length: ${one.length}`], one))).status).toBe(200)
    expect((await rawHttp(port, post(['Transfer-Encoding: chunked'], chunked(trade('plain-te'))))).status).toBe(200)
    await eventually(async () => expect([Number(await stored('plain-cl')), Number(await stored('plain-te'))]).toEqual([1, 1]))
  })
})

describe('malformed percent-encoding', () => {
  it('answers 400 MALFORMED_URL, not 500, in the path or the query', async () => {
    for (const target of ['/%', '/%zz', '/%FF', '/assets/%E0%A4%A', '/api/v1/q/x%', '/api/v1/q?from=%', '/health?x=%G1']) {
      const r = await rawHttp(port, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`)
      expect([target, r.status, errorCode(r.text)]).toEqual([target, 400, 'MALFORMED_URL'])
    }
    const ok = await rawHttp(port, 'GET /health?x=%20 HTTP/1.1\r\nHost: x\r\n\r\n')
    expect(ok.status).toBe(200)
  })
})
