// Hostile tokens at the live WebSocket upgrade of the real gateway (verified synchronously,
// api/auth/verify-sync.ts): each is refused before the upgrade with its code in the error
// body, and the gateway keeps serving. The same tokens over REST: auth.integration.test.ts;
// against a JWKS (algorithm confusion, kids, an unreachable provider): hostile.test.ts.
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { testSecret, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'
import { jwtPart, signHs256 } from '../../test/support/jwt.ts'
import { SUBPROTOCOL } from '../protocol/index.ts'

const file = gatewayForFile()

const hs256 = (payload: Record<string, unknown>, header?: Record<string, unknown>) => signHs256(testSecret, payload, header)
const now = () => Math.floor(Date.now() / 1000)
const claims = (over: Record<string, unknown> = {}) => ({ sub: 'mallory', roles: ['trader'], symbols: ['*'], shops: [], exp: now() + 600, ...over })

type Outcome = 'open' | 'dropped' | { status: number; code?: string }
/** What the upgrade answers: open, a refusal with its error code, or a connection dropped by the transport. */
const upgrade = (token: string, via: 'header' | 'query' = 'header') => new Promise<Outcome>((resolve) => {
  const url = new URL('/ws', file.gw.url.replace(/^http/, 'ws'))
  if (via === 'query') url.searchParams.set('access_token', token)
  const ws = new WebSocket(url, [SUBPROTOCOL], { headers: via === 'header' ? { authorization: `Bearer ${token}` } : {} })
  ws.once('open', () => (ws.close(), resolve('open')))
  ws.once('unexpected-response', (_req, res) => {
    let body = ''
    res.on('data', (d: Buffer) => (body += d))
    res.on('end', () => resolve({ status: res.statusCode!, code: (JSON.parse(body || '{}') as { error?: { code: string } }).error?.code }))
  })
  ws.once('error', () => resolve('dropped'))
})

describe('hostile tokens at the WebSocket upgrade', { timeout: 120_000 }, () => {
  it('refuses each with its code and keeps serving', async () => {
    const [h, p] = hs256(claims()).split('.')
    const cases: [string, string, Outcome][] = [
      ['alg none', `${jwtPart({ alg: 'none', typ: 'JWT' })}.${p}.`, { status: 401, code: 'INVALID_TOKEN' }],
      ['RS256 header on an HS256 signature (no provider keys here)', hs256(claims(), { alg: 'RS256', typ: 'JWT' }), { status: 401, code: 'INVALID_TOKEN' }],
      ['tampered signature', `${h}.${p}.${'A'.repeat(43)}`, { status: 401, code: 'INVALID_TOKEN' }],
      ['roles a string', hs256(claims({ roles: 'admin' })), { status: 401, code: 'INVALID_CLAIMS' }],
      ['sub an object', hs256(claims({ sub: { id: 1 } })), { status: 401, code: 'INVALID_CLAIMS' }],
      ['exp a string', hs256(claims({ exp: 'tomorrow' })), { status: 401, code: 'INVALID_CLAIMS' }],
      ['expired beyond the clock tolerance', hs256(claims({ exp: now() - 120 })), { status: 401, code: 'TOKEN_EXPIRED' }],
      ['nbf beyond the clock tolerance', hs256(claims({ nbf: now() + 120 })), { status: 401, code: 'TOKEN_NOT_YET_VALID' }],
      ['20 KB', `${h}.${'A'.repeat(20_000)}.x`, { status: 401, code: 'TOKEN_TOO_LARGE' }],
    ]
    const answers = []
    for (const [name, token] of cases) answers.push([name, await upgrade(token)])
    expect(answers).toEqual(cases.map(([name, , want]) => [name, want]))
    // Inside the clock tolerance (30 s) a skewed token is accepted.
    expect(await upgrade(hs256(claims({ exp: now() - 10, nbf: now() + 10 })))).toBe('open')
    // 1 MB, in the header or the query: refused by the verifier or dropped by the transport, never a crash.
    for (const via of ['header', 'query'] as const) {
      const huge = await upgrade(`${h}.${'A'.repeat(1024 * 1024)}.x`, via)
      expect([via, huge === 'dropped' || (typeof huge === 'object' && [400, 401, 413, 431].includes(huge.status))]).toEqual([via, true])
    }
    expect(await upgrade(await tokenFor(['trader']))).toBe('open')
    expect((await fetch(`${file.gw.url}/health`)).status).toBe(200)
  })
})
