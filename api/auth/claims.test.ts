import { describe, expect, it } from 'vitest'
import { claimAt, nativeClaims, toPrincipal, type ClaimMapping } from './claims.ts'

const exp = Math.floor(Date.now() / 1000) + 60
const map = (m: Partial<ClaimMapping>): ClaimMapping => ({ ...nativeClaims, ...m })

describe('claim mapping', () => {
  it('reads Keycloak realm and client roles, mapped to Livehouse roles', () => {
    const keycloak = {
      sub: 'f:1', exp, realm_access: { roles: ['offline_access', 'lh-trader'] }, resource_access: { livehouse: { roles: ['seller'] } },
      symbols: ['BTC-USD'], shops: ['shop-1'],
    }
    const p = toPrincipal(keycloak, map({ roles: ['realm_access.roles', 'resource_access.livehouse.roles'], roleMap: { 'lh-trader': 'trader' } }))
    expect([...p.roles].sort()).toEqual(['seller', 'trader'])
    expect([p.symbols, p.shops]).toEqual([new Set(['BTC-USD']), new Set(['shop-1'])])
  })

  it('reads an Auth0-style namespaced claim whose name holds dots and slashes', () => {
    const ns = 'https://livehouse.example.com/'
    const token = { sub: 'auth0|42', exp, [`${ns}roles`]: ['analyst'], [`${ns}shops`]: ['*'] }
    const p = toPrincipal(token, map({ roles: [`${ns}roles`], shops: `${ns}shops`, symbols: `${ns}symbols` }))
    expect([[...p.roles], p.shops, p.symbols]).toEqual([['analyst'], '*', new Set()])
  })

  it('takes the user id from another claim when told to', () => {
    expect(toPrincipal({ sub: 'opaque', email: 'a@b.c', exp }, map({ sub: 'email' })).sub).toBe('a@b.c')
  })

  it('ignores unknown role names, and prototype names in the role map', () => {
    const p = toPrincipal({ sub: 'x', exp, roles: ['constructor', '__proto__', 'uma_authorization', 'trader'] }, map({ roleMap: {} }))
    expect([...p.roles]).toEqual(['trader'])
  })

  it('gives admin every symbol and shop whatever its scope claims say', () => {
    const p = toPrincipal({ sub: 'root', exp, roles: ['admin'], symbols: [], shops: ['one'] }, nativeClaims)
    expect([p.symbols, p.shops]).toEqual(['*', '*'])
  })

  it('carries jti and expiry for revocation and for surfaces that outlive a request', () => {
    const p = toPrincipal({ sub: 'x', exp, jti: 'abc' }, nativeClaims)
    expect([p.jti, p.expiresAtMs]).toEqual(['abc', exp * 1000])
  })

  it('finds a path verbatim first, then as nested objects, never through arrays or prototypes', () => {
    const payload = { 'a.b': 1, a: { b: 2, c: [{ d: 3 }] } }
    expect([claimAt(payload, 'a.b'), claimAt({ a: { b: 2 } }, 'a.b'), claimAt(payload, 'a.c.0.d'), claimAt(payload, 'a.constructor'), claimAt(payload, 'toString')])
      .toEqual([1, 2, undefined, undefined, undefined])
  })

  it('refuses lists of the wrong shape naming the configured claim', () => {
    expect(() => toPrincipal({ sub: 'x', exp, realm_access: { roles: 'trader' } }, map({ roles: ['realm_access.roles'] }))).toThrow(expect.objectContaining({ code: 'INVALID_CLAIMS', details: { claim: 'realm_access.roles' } }))
    expect(() => toPrincipal({ sub: 'x', exp, shops: Array.from({ length: 10_001 }, () => 's') }, nativeClaims)).toThrow(expect.objectContaining({ code: 'INVALID_CLAIMS' }))
  })
})
