import { gzipSync } from 'node:zlib'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import { jsonBody, validJson } from './json-body.ts'

const schema = z.object({ name: z.string().min(1), n: z.number().int() }).strict()
const app = new Hono()
app.onError((e, c) => (e instanceof AppError ? c.json(e.toBody(), e.status) : c.json({ error: { code: 'INTERNAL' } }, 500)))
app.post('/x', jsonBody(1024), validJson(schema, (issues) => new AppError(400, 'INVALID_RULE', 'bad', { details: issues.map((i) => ({ path: i.path.join('.') })) })), (c) => c.json(c.req.valid('json')))

const post = async (body: string | Uint8Array, headers: Record<string, string> = {}) => {
  const r = await app.request('/x', { method: 'POST', body: body as BodyInit, headers })
  const json = (await r.json()) as { error?: { code: string; details?: unknown } }
  return { status: r.status, code: json.error?.code, details: json.error?.details, json }
}

describe('jsonBody + validJson', () => {
  it('passes a valid body on, with or without a JSON Content-Type (clients never had to send one), gzip too', async () => {
    const ok = { name: 'a', n: 1 }
    for (const headers of [{}, { 'content-type': 'application/json' }, { 'content-type': 'text/plain' }] as Record<string, string>[]) {
      expect(await post(JSON.stringify(ok), headers)).toMatchObject({ status: 200, json: ok })
    }
    expect(await post(gzipSync(JSON.stringify(ok)), { 'content-encoding': 'gzip' })).toMatchObject({ status: 200, json: ok })
  })

  it('refuses a body over the cap (on the wire or after gzip) as 413 BODY_TOO_LARGE, malformed JSON as 400 MALFORMED_JSON', async () => {
    expect(await post(JSON.stringify({ name: 'x'.repeat(2000), n: 1 }))).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE', details: { maxBytes: 1024 } })
    expect(await post(gzipSync(Buffer.alloc(1024 * 1024, 0x20)), { 'content-encoding': 'gzip' })).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' })
    for (const bad of ['{"name":', '', '\u0000']) expect(await post(bad), bad).toMatchObject({ status: 400, code: 'MALFORMED_JSON' })
  })

  it("answers a schema failure with the route's code and every failing path", async () => {
    expect(await post(JSON.stringify({ name: '', n: 'one', extra: true }))).toMatchObject({
      status: 400, code: 'INVALID_RULE', details: expect.arrayContaining([{ path: 'name' }, { path: 'n' }, { path: '' }]),
    })
    for (const body of ['[]', 'null', '42', '"s"']) expect(await post(body), body).toMatchObject({ status: 400, code: 'INVALID_RULE' })
  })
})
