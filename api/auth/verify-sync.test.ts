// verifySync must answer exactly as verify (jose) does: every valid and hostile token here
// goes through both, with keys already fetched, and the codes (and principals) must match.
import { generateKeyPairSync, KeyObject, sign as cryptoSign } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportSPKI, importJWK } from 'jose'
import { createAuth, type Auth } from '../auth.ts'
import { createJwksSource, type KeySource } from './jwks.ts'
import { idpAudience as audience, idpClaims as claims, idpIssuer as issuer, makeKey, signWith, startJwksServer, type JwksServer, type TestKey } from '../../test/oidc/jwks-server.ts'
import { eventually } from '../../test/support/eventually.ts'
import { jwtPart, signHs256 } from '../../test/support/jwt.ts'

const secret = 'a-secret-which-is-long-enough-for-hs256'
let server: JwksServer
let source: KeySource
let rsa: TestKey
let ec: TestKey
let weak: TestKey
let corpus: [string, string][] = []

const nowS = () => Math.floor(Date.now() / 1000)
const hs = (key: string | Buffer, payload: unknown, header: object = { alg: 'HS256' }) => signHs256(key, payload, header)
/** Signs any header with a test key by hand (jose will not sign a `crit` it does not know). */
const rawSign = (key: TestKey, header: object, payload: object) => {
  const input = `${jwtPart(header)}.${jwtPart(payload)}`
  const k = KeyObject.from(key.privateKey)
  const sig = key.alg === 'ES256' ? cryptoSign('sha256', Buffer.from(input), { key: k, dsaEncoding: 'ieee-p1363' }) : cryptoSign('sha256', Buffer.from(input), k)
  return `${input}.${sig.toString('base64url')}`
}
const own = (extra: Record<string, unknown> = {}) => ({ sub: 'bob', exp: nowS() + 600, roles: ['seller'], shops: ['s1'], jti: 'j-1', ...extra })

beforeAll(async () => {
  rsa = await makeKey('RS256', 'rsa-1')
  ec = await makeKey('ES256', 'ec-1')
  // A 1024-bit RSA key in the set: jose refuses to verify with it, and so must the sync path.
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 })
  weak = { kid: 'weak', alg: 'RS256', privateKey: undefined as unknown as CryptoKey, publicJwk: { ...small.publicKey.export({ format: 'jwk' }), kid: 'weak', alg: 'RS256' } }
  server = await startJwksServer([rsa, ec, weak])
  source = createJwksSource({ url: server.url, refreshMs: 3_600_000, timeoutMs: 2000, cooldownMs: 3_600_000 })
  await eventually(() => expect(source.state().keys).toBe(3))

  const t = nowS()
  const stranger = await makeKey('RS256', 'stranger')
  const pem = await exportSPKI(await importJWK(rsa.publicJwk, 'RS256', { extractable: true }) as CryptoKey)
  const valid = await signWith(rsa, claims())
  const [vh, vp, vs] = valid.split('.')
  const ecValid = await signWith(ec, claims())
  const [eh, ep, es] = ecValid.split('.')
  // The same ES256 signature in DER form (not the JOSE r||s form): both must refuse it.
  const raw = Buffer.from(es, 'base64url')
  const der = (n: Buffer) => (n[0] & 0x80 ? Buffer.concat([Buffer.from([0]), n]) : n)
  const [r, s] = [der(raw.subarray(0, 32)), der(raw.subarray(32))]
  const derSig = Buffer.concat([Buffer.from([0x30, r.length + s.length + 4, 0x02, r.length]), r, Buffer.from([0x02, s.length]), s]).toString('base64url')
  const weakToken = (() => {
    const input = `${jwtPart({ alg: 'RS256', kid: 'weak' })}.${jwtPart(claims())}`
    return `${input}.${cryptoSign('sha256', Buffer.from(input), small.privateKey).toString('base64url')}`
  })()

  corpus = [
    ['rs256', valid], ['es256', ecValid], ['aud array', await signWith(rsa, claims({ aud: ['x', audience] }))],
    ['hs256 own', hs(secret, own())], ['hs256 own admin', hs(secret, own({ roles: ['admin'], shops: [] }))],
    ['none', `${jwtPart({ alg: 'none' })}.${jwtPart(claims())}.`], ['None', `${jwtPart({ alg: 'None' })}.${jwtPart(claims())}.`],
    ['confusion pem', hs(pem, claims(), { alg: 'HS256', kid: 'rsa-1' })], ['confusion jwk', hs(JSON.stringify(rsa.publicJwk), claims(), { alg: 'HS256' })],
    ['rs256 header, hmac body', hs(secret, claims(), { alg: 'RS256', kid: 'rsa-1' })],
    ['es384', hs(secret, claims(), { alg: 'ES384' })], ['alg number', hs(secret, claims(), { alg: 5 })],
    ['unknown kid', await signWith(stranger, claims())], ['known kid, wrong key', await signWith(stranger, claims(), { kid: 'rsa-1' })],
    ['ec kid on rs', await signWith(stranger, claims(), { kid: 'ec-1' })], ['kid number', await signWith(rsa, claims(), { kid: 7 })],
    ['no kid, one rsa fits twice', await signWith(rsa, claims(), { kid: undefined })],
    ['weak rsa key', weakToken], ['es256 der signature', `${eh}.${ep}.${derSig}`],
    ['sig truncated', `${vh}.${vp}.${vs.slice(0, -4)}`], ['sig padded', `${vh}.${vp}.${vs}==`], ['sig junk', `${vh}.${vp}.${vs}!`],
    ['payload swapped', `${vh}.${jwtPart(claims({ roles: ['admin'] }))}.${vs}`], ['header swapped', `${jwtPart({ alg: 'RS256', kid: 'ec-1' })}.${vp}.${vs}`],
    ['crit', rawSign(rsa, { alg: 'RS256', kid: 'rsa-1', crit: ['exp'], exp: 1 }, claims())], ['b64 false', rawSign(rsa, { alg: 'RS256', kid: 'rsa-1', b64: false, crit: ['b64'] }, claims())],
    ['b64 true', rawSign(ec, { alg: 'ES256', kid: 'ec-1', b64: true, crit: ['b64'] }, claims())], ['hand-signed ok', rawSign(ec, { alg: 'ES256', kid: 'ec-1' }, claims())],
    ['payload array', hs(secret, [1, 2])], ['payload string', hs(secret, Buffer.from('hello'))], ['header array', `${jwtPart([1])}.${jwtPart(own())}.x`],
    ['iss wrong', await signWith(rsa, claims({ iss: 'https://evil' }))], ['iss missing', await signWith(rsa, claims({ iss: undefined }))],
    ['aud wrong', await signWith(rsa, claims({ aud: 'other' }))], ['aud missing', await signWith(rsa, claims({ aud: undefined }))], ['aud number', await signWith(rsa, claims({ aud: 5 }))],
    ['exp missing', hs(secret, own({ exp: undefined }))], ['exp string', hs(secret, own({ exp: 'soon' }))], ['nbf string', hs(secret, own({ nbf: 'x' }))], ['iat array', hs(secret, own({ iat: [] }))],
    ['sub number', hs(secret, own({ sub: 42 }))], ['sub empty', hs(secret, own({ sub: '' }))], ['roles string', hs(secret, own({ roles: 'admin' }))],
    ['shops object', hs(secret, own({ shops: { a: 1 } }))], ['jti number', hs(secret, own({ jti: 4 }))],
    ['exp inside tolerance', hs(secret, own({ exp: t - 10 }))], ['exp past tolerance', hs(secret, own({ exp: t - 120 }))],
    ['nbf inside tolerance', hs(secret, own({ nbf: t + 10 }))], ['nbf past tolerance', hs(secret, own({ nbf: t + 120 }))], ['iat future', hs(secret, own({ iat: t + 120 }))],
    ['nbf future and exp string', hs(secret, own({ nbf: t + 120, exp: 'x' }))],
    ['empty', ''], ['dots', '..'], ['two parts', 'a.b'], ['four parts', 'a.b.c.d'], ['not base64', '!!.??.**'], ['huge', `${vh}.${'A'.repeat(1024 * 1024)}.${vs}`],
    ['bad utf8 payload', `${jwtPart({ alg: 'HS256' })}.${Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString('base64url')}.x`],
  ]
})
afterAll(async () => {
  source?.close()
  await server?.close()
})

const outcome = async (f: () => Promise<unknown> | unknown) => {
  try {
    const p = (await f()) as { sub: string; roles: Set<string>; symbols: unknown; shops: unknown; jti?: string }
    return { code: 'accepted', principal: { ...p, roles: [...p.roles].sort() } }
  } catch (e) {
    return { code: (e as { code?: string }).code ?? `thrown ${String(e)}` }
  }
}

describe('verifySync answers as verify does', () => {
  let auth: Auth
  beforeAll(() => {
    auth = createAuth({ secret, jwks: source, issuer, audience: [audience], cacheEntries: 0 })
  })

  it('on every token of the corpus', async () => {
    expect(corpus.length).toBeGreaterThan(50)
    const differences: unknown[] = []
    for (const [name, token] of corpus) {
      const a = await outcome(() => auth.verify(token))
      const s = await outcome(() => auth.verifySync(token))
      if (JSON.stringify(a) !== JSON.stringify(s)) differences.push({ name, async: a.code, sync: s.code })
    }
    expect(differences).toEqual([])
    // And the corpus is hostile: most tokens are refused, the valid ones accepted.
    const codes = await Promise.all(corpus.map(async ([name, t]) => [name, (await outcome(() => auth.verifySync(t))).code]))
    expect(Object.fromEntries(codes.filter(([n]) => ['rs256', 'es256', 'hs256 own', 'none', 'confusion pem', 'unknown kid', 'weak rsa key', 'huge', 'exp past tolerance'].includes(n!)))).toEqual({
      rs256: 'accepted', es256: 'accepted', 'hs256 own': 'accepted', none: 'INVALID_TOKEN', 'confusion pem': 'INVALID_TOKEN',
      'unknown kid': 'UNKNOWN_SIGNING_KEY', 'weak rsa key': 'INVALID_TOKEN', huge: 'TOKEN_TOO_LARGE', 'exp past tolerance': 'TOKEN_EXPIRED',
    })
  })

  it('without a secret, and without a JWKS, each path refuses the other kind alike', async () => {
    const idpOnly = createAuth({ jwks: source, issuer, audience: [audience], cacheEntries: 0 })
    const ownOnly = createAuth({ secret, cacheEntries: 0 })
    for (const a of [idpOnly, ownOnly]) {
      for (const [name, token] of corpus) {
        expect([name, (await outcome(() => a.verifySync(token))).code]).toEqual([name, (await outcome(() => a.verify(token))).code])
      }
    }
  })

  it('refuses a kid it has not fetched at once, and finds it on a retry once fetched', async () => {
    const s = createJwksSource({ url: server.url, refreshMs: 3_600_000, timeoutMs: 2000, cooldownMs: 0 })
    try {
      // A fetch over HTTP: expect.poll's default of 1 s is short on a loaded machine.
      await expect.poll(() => s.state().keys, { timeout: 30_000 }).toBe(3)
      const a = createAuth({ jwks: s, issuer, audience: [audience], cacheEntries: 0 })
      const fresh = await makeKey('ES256', 'ec-2')
      server.serve([rsa, ec, weak, fresh])
      const token = await signWith(fresh, claims())
      expect((await outcome(() => a.verifySync(token))).code).toBe('UNKNOWN_SIGNING_KEY')
      await expect.poll(() => s.state().keys, { timeout: 30_000 }).toBe(4)
      expect((await outcome(() => a.verifySync(token))).code).toBe('accepted')
    } finally {
      s.close()
      server.serve([rsa, ec, weak])
    }
  })
})
