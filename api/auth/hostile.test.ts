// Hostile tokens against the verifier with a real JWKS endpoint over HTTP (issue 13, must
// show): each is refused with its own code, and valid tokens around them keep working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportSPKI, importJWK, SignJWT } from 'jose'
import { createAuth, type Auth } from '../auth.ts'
import { createJwksSource, type KeySource } from './jwks.ts'
import { idpAudience as audience, idpClaims as claims, idpIssuer as issuer, makeKey, signWith, startJwksServer, type JwksServer, type TestKey } from '../../test/oidc/jwks-server.ts'
import { jwtPart, signHs256 } from '../../test/support/jwt.ts'

const secret = 'a-secret-which-is-long-enough-for-hs256'
let rsa: TestKey
let ec: TestKey
let jwksServer: JwksServer
let source: KeySource
let auth: Auth
const sources: KeySource[] = []

const nowS = () => Math.floor(Date.now() / 1000)
const code = (p: Promise<unknown>) => p.then(() => 'accepted', (e: { code?: string }) => e.code ?? String(e))

function newSource(o: Partial<Parameters<typeof createJwksSource>[0]> = {}) {
  const s = createJwksSource({ url: jwksServer.url, refreshMs: 3_600_000, timeoutMs: 2000, cooldownMs: 0, ...o })
  sources.push(s)
  return s
}
/** A verifier over `source` alone (no shared secret), remembering nothing. */
const authOn = (source: KeySource) => createAuth({ jwks: source, issuer, audience: [audience], cacheEntries: 0 })

beforeAll(async () => {
  rsa = await makeKey('RS256', 'rsa-1')
  ec = await makeKey('ES256', 'ec-1')
  jwksServer = await startJwksServer([rsa, ec])
  source = newSource()
  auth = createAuth({ jwks: source, issuer, audience: [audience], secret, cacheEntries: 0 })
})
afterAll(async () => {
  for (const s of sources) s.close()
  await jwksServer?.close()
})

describe('identity-provider tokens (RS256/ES256 over a JWKS URL)', () => {
  it('accepts RS256 and ES256 tokens of the issuer for this audience', async () => {
    for (const key of [rsa, ec]) {
      const p = await auth.verify(await signWith(key, claims()))
      expect([p.sub, [...p.roles], p.symbols]).toEqual(['alice', ['trader'], new Set(['BTC-USD'])])
    }
  })

  it('refuses alg none, with or without a signature', async () => {
    const unsigned = `${jwtPart({ alg: 'none', typ: 'JWT' })}.${jwtPart(claims())}.`
    expect(await code(auth.verify(unsigned))).toBe('INVALID_TOKEN')
    expect(await code(auth.verify(`${jwtPart({ alg: 'none' })}.${jwtPart(claims())}.c2ln`))).toBe('INVALID_TOKEN')
    expect(await code(auth.verify(`${jwtPart({ alg: 'NONE' })}.${jwtPart(claims())}.`))).toBe('INVALID_TOKEN')
  })

  it('refuses an HS256 token keyed with the provider\'s RSA public key (algorithm confusion)', async () => {
    const pem = await exportSPKI(await importJWK(rsa.publicJwk, 'RS256', { extractable: true }) as CryptoKey)
    const jwk = Buffer.from(JSON.stringify(rsa.publicJwk))
    for (const key of [pem, jwk, Buffer.from(rsa.publicJwk.n!, 'base64url')]) {
      const forged = signHs256(key, claims(), { alg: 'HS256', kid: rsa.kid })
      expect(await code(auth.verify(forged))).toBe('INVALID_TOKEN') // with a secret configured: checked against the secret, fails
      expect(await code(authOn(source).verify(forged))).toBe('INVALID_TOKEN') // without: not accepted at all
    }
    // And the other way round: a provider algorithm is never checked against the HS256 secret.
    expect(await code(auth.verify(signHs256(secret, claims(), { alg: 'RS256', kid: rsa.kid })))).toBe('INVALID_TOKEN')
  })

  it('refuses a kid the provider does not publish, and a known kid with the wrong key', async () => {
    const stranger = await makeKey('RS256', 'not-published')
    expect(await code(auth.verify(await signWith(stranger, claims())))).toBe('UNKNOWN_SIGNING_KEY')
    // A published kid, signed by another key: the signature fails.
    expect(await code(auth.verify(await signWith(stranger, claims(), { kid: rsa.kid })))).toBe('INVALID_TOKEN')
    // The kid of the EC key on an RS256 token: no RS256 key with that kid.
    expect(await code(auth.verify(await signWith(stranger, claims(), { kid: ec.kid })))).toBe('UNKNOWN_SIGNING_KEY')
  })

  it('refuses a token of another issuer or for another audience', async () => {
    expect(await code(auth.verify(await signWith(rsa, claims({ iss: 'https://evil.test' }))))).toBe('INVALID_CLAIMS')
    expect(await code(auth.verify(await signWith(rsa, claims({ aud: 'another-api' }))))).toBe('INVALID_CLAIMS')
    expect(await code(auth.verify(await signWith(rsa, claims({ aud: undefined }))))).toBe('INVALID_CLAIMS')
    await expect(auth.verify(await signWith(rsa, claims({ iss: undefined })))).rejects.toMatchObject({ code: 'INVALID_CLAIMS', details: { claim: 'iss' } })
    expect(await code(auth.verify(await signWith(rsa, claims({ aud: ['x', audience] }))))).toBe('accepted')
  })

  it('refuses claims of the wrong types, naming the claim', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ sub: 42 }, 'sub'], [{ sub: { id: 'alice' } }, 'sub'], [{ sub: '' }, 'sub'], [{ sub: 'x'.repeat(300) }, 'sub'],
      [{ roles: 'admin' }, 'roles'], [{ roles: [1, 2] }, 'roles'], [{ roles: { admin: true } }, 'roles'],
      [{ symbols: 'BTC-USD' }, 'symbols'], [{ symbols: [null] }, 'symbols'], [{ shops: 7 }, 'shops'],
      [{ exp: 'tomorrow' }, 'exp'], [{ exp: undefined }, 'exp'], [{ nbf: 'now' }, 'nbf'], [{ iat: [] }, 'iat'],
      [{ jti: 12 }, 'jti'], [{ aud: 5 }, 'aud'], [{ iss: ['a'] }, 'iss'],
    ]
    for (const [extra, claim] of cases) {
      const token = await signWith(rsa, claims(extra))
      const e = await auth.verify(token).then(() => undefined, (err) => err)
      expect([JSON.stringify(extra), e?.code, e?.details?.claim]).toEqual([JSON.stringify(extra), 'INVALID_CLAIMS', claim])
    }
  })

  it('allows clock skew up to the tolerance and refuses beyond it', async () => {
    const t = nowS()
    const at = (extra: Record<string, unknown>) => code(auth.verify(signHs256(secret, { sub: 'bob', roles: ['trader'], exp: t + 600, ...extra })))
    expect(await at({ exp: t - 10 })).toBe('accepted') // 10 s past exp: inside the default 30 s
    expect(await at({ exp: t - 120 })).toBe('TOKEN_EXPIRED')
    expect(await at({ nbf: t + 10 })).toBe('accepted')
    expect(await at({ nbf: t + 120 })).toBe('TOKEN_NOT_YET_VALID')
    expect(await at({ iat: t + 120 })).toBe('TOKEN_NOT_YET_VALID')
    expect(await code(auth.verify(await signWith(ec, claims({ exp: t - 120 }))))).toBe('TOKEN_EXPIRED')
    expect(await code(auth.verify(await signWith(ec, claims({ nbf: t + 3600 }))))).toBe('TOKEN_NOT_YET_VALID')
    const strict = createAuth({ secret, clockToleranceS: 0, cacheEntries: 0 })
    expect(await code(strict.verify(signHs256(secret, { sub: 'bob', exp: t - 10 })))).toBe('TOKEN_EXPIRED')
  })

  it('refuses a 1 MB token before parsing it, and garbage of every shape', async () => {
    const huge = await signWith(rsa, claims({ pad: 'x'.repeat(1024 * 1024) }))
    expect(huge.length).toBeGreaterThan(1024 * 1024)
    await expect(auth.verify(huge)).rejects.toMatchObject({ code: 'TOKEN_TOO_LARGE', details: { maxBytes: 16 * 1024 } })
    for (const junk of ['', 'abc', 'a.b.c', '...', 'e30.e30.e30', `${jwtPart({ alg: 'RS256' })}.${'!'.repeat(50)}.x`, `${jwtPart('str')}.${jwtPart({})}.x`, 'ey'.repeat(5000)]) {
      expect([junk.slice(0, 20), await code(auth.verify(junk))]).toEqual([junk.slice(0, 20), 'INVALID_TOKEN'])
    }
    expect(await code(auth.verify(await signWith(rsa, claims())))).toBe('accepted') // still fine after all that
  })
})

describe('an unreachable or changing JWKS', () => {
  it('keeps verifying with the keys it has while the provider is down, and refuses unknown kids', async () => {
    const server = await startJwksServer([rsa])
    // A fetch timeout of 2 s like the others: every failure here is a refused connection or a 500
    // (immediate); 500 ms could also cut the first, successful fetch on a loaded machine.
    const s = newSource({ url: server.url, refreshMs: 50, timeoutMs: 2000 })
    const a = authOn(s)
    expect(await code(a.verify(await signWith(rsa, claims())))).toBe('accepted')
    await server.down()
    const before = s.state().fetchedAtMs
    // The periodic refresh fails (connection refused) while cached keys keep working.
    await expect.poll(() => s.state().lastError, { timeout: 30_000 }).toBeTruthy()
    expect(await code(a.verify(await signWith(rsa, claims())))).toBe('accepted')
    const rotated = await makeKey('ES256', 'ec-new')
    await expect(a.verify(await signWith(rotated, claims()))).rejects.toMatchObject({ code: 'JWKS_UNAVAILABLE', status: 503 })
    expect(s.state().fetchedAtMs).toBe(before)
    await server.up()
    server.setMode('error')
    expect(await code(a.verify(await signWith(rotated, claims())))).toBe('JWKS_UNAVAILABLE')
    expect(await code(a.verify(await signWith(rsa, claims())))).toBe('accepted')
    // Back up with rotated keys: the new kid is fetched on first sight, the retired one is refused.
    server.serve([rotated])
    server.setMode('up')
    expect(await code(a.verify(await signWith(rotated, claims())))).toBe('accepted')
    expect(await code(a.verify(await signWith(rsa, claims())))).toBe('UNKNOWN_SIGNING_KEY')
    await server.close()
  })

  it('fetches at most once per cooldown however many unknown kids arrive', async () => {
    const server = await startJwksServer([rsa])
    const s = newSource({ url: server.url, cooldownMs: 60_000 })
    const a = authOn(s)
    expect(await code(a.verify(await signWith(rsa, claims())))).toBe('accepted')
    const fetched = server.requests()
    const strangers = await Promise.all(Array.from({ length: 20 }, (_, i) => makeKey('ES256', `random-${i}`)))
    const codes = await Promise.all(strangers.map(async (k) => code(a.verify(await signWith(k, claims())))))
    expect(new Set(codes)).toEqual(new Set(['UNKNOWN_SIGNING_KEY']))
    expect(server.requests()).toBe(fetched) // the first fetch was just now: the cooldown holds
    await server.close()
  })

  it('keeps the old keys when the provider serves a malformed set, a private key or a huge body', async () => {
    const server = await startJwksServer([rsa])
    const s = newSource({ url: server.url, maxBytes: 64 * 1024 })
    const a = authOn(s)
    expect(await code(a.verify(await signWith(rsa, claims())))).toBe('accepted')
    const stranger = await makeKey('RS256', 'x')
    for (const bad of [{ kty: 'RSA', kid: 'bad' }, { ...(await makeKey('RS256', 'x')).publicJwk, d: 'AAAA' }, { kty: 'oct', k: 'c2VjcmV0', kid: 'x' }]) {
      server.serve([{ ...rsa, publicJwk: bad }])
      expect(await code(a.verify(await signWith(stranger, claims())))).toBe('JWKS_UNAVAILABLE') // could not confirm the kid
      expect(await code(a.verify(await signWith(rsa, claims())))).toBe('accepted') // the old set stays
    }
    server.serve(Array.from({ length: 200 }, () => rsa))
    expect(await code(a.verify(await signWith(stranger, claims())))).toBe('JWKS_UNAVAILABLE') // too large: that fetch failed
    expect(await code(a.verify(await signWith(rsa, claims())))).toBe('accepted')
    await server.close()
  })
})

describe('revocation and the verified-token cache', () => {
  it('refuses a revoked token at once, even one verified a moment ago', async () => {
    const revoked = new Set<string>()
    const a = createAuth(secret, { revocations: { isRevoked: (jti) => revoked.has(jti) } })
    const token = await a.sign({ sub: 'u', roles: ['trader'] })
    const p = await a.verify(token)
    expect(p.jti).toMatch(/^[0-9a-f-]{36}$/)
    expect(await a.verify(token)).toBe(p) // cached
    revoked.add(p.jti!)
    expect(await code(a.verify(token))).toBe('TOKEN_REVOKED')
  })

  it('a token of our own issuer without a jti verifies (it cannot be revoked, only expire)', async () => {
    const t = new SignJWT({ roles: ['trader'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('old').setExpirationTime('1h')
    const p = await createAuth(secret).verify(await t.sign(new TextEncoder().encode(secret)))
    expect([p.sub, p.jti]).toEqual(['old', undefined])
  })
})
