// The gateway trusting a real OpenID Provider (oidc-provider, run here): its ES256 access
// tokens verify over its JWKS, roles are mapped from realm_access.roles, and with the
// provider gone the keys already fetched keep working while unknown kids are refused.
import { afterAll, describe, expect, it } from 'vitest'
import { gatewayForFile, noRateLimits } from '../support/gateway-file.ts'
import { makeKey, signWith } from './jwks-server.ts'
import { oidcAudience, startOidcProvider, type TestOidcProvider } from './provider.ts'

let op: TestOidcProvider | undefined

// Registered before the gateway's hooks, so the provider closes after the gateway stopped.
afterAll(async () => {
  await op?.close()
})
const file = gatewayForFile(async () => {
  op = await startOidcProvider()
  return { ...op.gatewayEnv, ...noRateLimits }
}, undefined, { timeoutMs: 300_000 })

const get = (path: string, token: string) => fetch(`${file.gw.url}${path}`, { headers: { authorization: `Bearer ${token}` } })
const errorCode = async (r: Response) => [r.status, ((await r.json()) as { error?: { code: string } }).error?.code]

describe('a real OpenID Provider', { timeout: 300_000 }, () => {
  it('issues ES256 access tokens the gateway accepts, with roles mapped from the provider\'s names', async () => {
    const token = await op!.robotToken()
    const [header, payload] = token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()))
    expect([header.alg, header.kid, payload.aud, payload.realm_access]).toEqual(['ES256', 'es-1', oidcAudience, { roles: ['lh-trader'] }])
    const me = await get('/api/v1/auth/me', token)
    expect(await me.json()).toMatchObject({ sub: 'robot', roles: ['trader'], symbols: ['*'], shops: [] })
    expect((await get('/api/v1/q/symbol_stats', token)).status).toBe(200)
    expect(await errorCode(await get('/api/v1/q/sales_overview', token))).toEqual([403, 'FORBIDDEN'])
  })

  it('tells the UI how to sign in with it', async () => {
    const config = await (await fetch(`${file.gw.url}/api/v1/auth/config`)).json()
    expect(config).toEqual({ demo: false, oidc: { issuer: op!.issuer, clientId: 'livehouse-ui', scope: 'openid profile livehouse', extraParams: {} } })
  })

  it('keeps accepting its tokens while it is down, and refuses a kid it never published', async () => {
    const token = await op!.robotToken()
    const issuer = op!.issuer
    await op!.close()
    op = undefined
    expect((await fetch(`${issuer}/jwks`).catch(() => undefined))?.status).toBeUndefined() // really gone
    expect((await get('/api/v1/auth/me', token)).status).toBe(200)
    const stranger = await makeKey('ES256', 'never-published')
    const forged = await signWith(stranger, { iss: issuer, aud: oidcAudience, sub: 'mallory', exp: Math.floor(Date.now() / 1000) + 600, realm_access: { roles: ['lh-ops'] } })
    // Within the fetch cooldown the kid is simply unknown; after it, the failed fetch makes it 503.
    expect([[401, 'UNKNOWN_SIGNING_KEY'], [503, 'JWKS_UNAVAILABLE']]).toContainEqual(await errorCode(await get('/api/v1/auth/me', forged)))
    expect((await fetch(`${file.gw.url}/health`)).status).toBe(200)
  })
})
