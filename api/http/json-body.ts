// JSON request bodies: read under a size cap, then validated with @hono/zod-validator.
import { zValidator } from '@hono/zod-validator'
import type { MiddlewareHandler } from 'hono'
import type { ZodType, core } from 'zod'
import { AppError } from '../../core/errors.ts'
import { readBody } from './body.ts'

/**
 * Reads the body (413 BODY_TOO_LARGE past `maxBytes`, 400 MALFORMED_JSON unless it is JSON) and
 * hands it on as an `application/json` request for `validJson`. Our capped read, not
 * hono/body-limit: that one caps the bytes on the wire only, and a gzip body must be capped
 * after decoding too (50 MiB of spaces gzip to 50 KiB). Clients never had to send a
 * Content-Type, and the validator reads JSON only under one, hence the header it gets here.
 */
export function jsonBody(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const text = (await readBody(c.req.raw, maxBytes)).toString('utf8')
    try {
      JSON.parse(text)
    } catch {
      throw new AppError(400, 'MALFORMED_JSON', 'the body is not JSON')
    }
    const headers = new Headers(c.req.raw.headers)
    for (const h of ['content-encoding', 'content-length', 'transfer-encoding']) headers.delete(h)
    headers.set('content-type', 'application/json')
    c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers, body: text })
    await next()
  }
}

/**
 * `zValidator('json', schema)` whose refusal is our AppError (`refuse` builds it from the
 * issues: each route keeps its code and `details` shape, docs/errors.md) instead of zod's JSON.
 */
export function validJson<T extends ZodType>(schema: T, refuse: (issues: readonly core.$ZodIssue[]) => AppError) {
  return zValidator('json', schema, (result) => {
    if (!result.success) throw refuse(result.error.issues)
  })
}
