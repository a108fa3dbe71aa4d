// The REST authentication contract (docs/errors.md): which header gets which 401 code, and the
// query-token fallback only where a route allows it (the alerts SSE stream).
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../core/errors.ts'
import type { Principal } from '../../core/roles.ts'
import type { Auth } from '../auth.ts'
import { authenticate, bearerToken, type AppEnv } from './middleware.ts'

const principal: Principal = { sub: 'alice', roles: new Set(['trader']), symbols: '*', shops: '*', expiresAtMs: 1 }
const auth = {
  async verify(token: string) {
    if (token === 'good') return principal
    throw new AppError(401, token === 'old' ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN', 'no')
  },
} as unknown as Auth

const app = new Hono<AppEnv>()
app.onError((e, c) => (e instanceof AppError ? c.json(e.toBody(), e.status) : c.json({ error: { code: 'INTERNAL' } }, 500)))
app.use('/plain', authenticate(auth))
app.use('/stream', authenticate(auth, { queryToken: (c) => c.req.query('access_token') }))
for (const path of ['/plain', '/stream']) app.get(path, (c) => c.json({ sub: c.get('principal').sub }))

const call = async (path: string, authorization?: string) => {
  const r = await app.request(path, { headers: authorization === undefined ? {} : { authorization } })
  const json = (await r.json()) as { sub?: string; error?: { code: string } }
  return [r.status, json.sub ?? json.error?.code]
}

describe('authenticate (hono/bearer-auth with our codes)', () => {
  it('takes a Bearer token in any case of the scheme, and answers each refusal with its 401 code', async () => {
    expect(await call('/plain', 'Bearer good')).toEqual([200, 'alice'])
    expect(await call('/plain', 'bearer good')).toEqual([200, 'alice'])
    expect(await call('/plain', 'Bearer   good')).toEqual([200, 'alice'])
    expect(await call('/plain')).toEqual([401, 'UNAUTHENTICATED'])
    expect(await call('/plain', 'Basic dXNlcjpwdw==')).toEqual([401, 'UNAUTHENTICATED'])
    expect(await call('/plain', 'Bearer')).toEqual([401, 'UNAUTHENTICATED'])
    expect(await call('/plain', 'Bearer old')).toEqual([401, 'TOKEN_EXPIRED'])
    expect(await call('/plain', 'Bearer bad')).toEqual([401, 'INVALID_TOKEN'])
    // Not a token's characters: malformed, as the verifier would say.
    expect(await call('/plain', 'Bearer a$b')).toEqual([401, 'INVALID_TOKEN'])
    expect(await call('/plain', 'Bearer a b')).toEqual([401, 'INVALID_TOKEN'])
  })

  it('reads ?access_token= only where the route allows it, and only without an Authorization header', async () => {
    expect(await call('/stream?access_token=good')).toEqual([200, 'alice'])
    expect(await call('/stream?access_token=old')).toEqual([401, 'TOKEN_EXPIRED'])
    expect(await call('/stream?access_token=good', 'Bearer bad')).toEqual([401, 'INVALID_TOKEN'])
    expect(await call('/plain?access_token=good')).toEqual([401, 'UNAUTHENTICATED'])
    expect(await call('/stream')).toEqual([401, 'UNAUTHENTICATED'])
  })
})

describe('bearerToken (the WebSocket upgrade and the SQL port)', () => {
  it('is the token of a Bearer header, or nothing', () => {
    expect([bearerToken('Bearer abc'), bearerToken('bearer  abc'), bearerToken('Basic abc'), bearerToken('Bearer'), bearerToken(undefined)]).toEqual(['abc', 'abc', undefined, undefined, undefined])
  })
})
