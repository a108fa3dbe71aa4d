import { createHash, randomUUID, type KeyObject } from 'node:crypto'
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { createLru } from './cache/lru.ts'
import { AppError, isAppError } from '../core/errors.ts'
import { roles, type Principal, type Role } from '../core/roles.ts'
import { nativeClaims, toPrincipal, type ClaimMapping } from './auth/claims.ts'
import type { KeySource } from './auth/jwks.ts'
import { headerOf, verifyCompactSync } from './auth/verify-sync.ts'

export { generateSecret } from './auth/secret.ts'

export interface Auth {
  verify(token: string): Promise<Principal>
  /**
   * The same check synchronously, for the WebSocket upgrade (decided inside uWS's callback):
   * same answers as `verify` (a differential test holds them to it), except that a provider
   * kid not fetched yet is refused at once (401 UNKNOWN_SIGNING_KEY) while a fetch starts, so
   * a retry succeeds.
   */
  verifySync(token: string): Principal
  /** Signs a Livehouse token (HS256, with a fresh `jti`); only with a secret. */
  sign(claims: { sub: string; roles: Role[]; symbols?: string[]; shops?: string[] }, ttl?: string): Promise<string>
  /** Whether `sign` works (a secret is configured). */
  readonly canSign: boolean
}

export interface AuthOptions {
  /** HS256: Livehouse's own tokens (demo sign-in, `npm run token`). */
  secret?: string
  /** RS256/ES256: an identity provider's keys. */
  jwks?: KeySource
  /** Identity-provider tokens must carry this `iss`… */
  issuer?: string
  /** …and one of these `aud`. */
  audience?: string[]
  /** Algorithms accepted from the identity provider. */
  algorithms?: string[]
  /** Where identity-provider tokens keep roles and scopes (Livehouse tokens always use nativeClaims). */
  claims?: ClaimMapping
  clockToleranceS?: number
  maxTokenBytes?: number
  /** Revoked `jti`s: checked on every verification, cached or not. */
  revocations?: { isRevoked(jti: string): boolean }
  /** Verified tokens remembered (0 = none). */
  cacheEntries?: number
  now?: () => number
}


/**
 * Token verification for every surface (claims and codes: docs/auth.md). A token's `alg`
 * picks its key: HS256 only ever against the secret, RS256/ES256 only against the JWKS, so
 * neither can stand in for the other (an HS256 token "signed" with the provider's public
 * key is refused); `none` and anything else are refused outright. Verified tokens are
 * remembered (the `cacheEntries` most recently used, each until its `exp`): a dashboard
 * sends the same token on every request and verification was the largest cost of a cached
 * answer. Revocation is checked on every call, remembered or not.
 */
export function createAuth(secretOrOptions: string | AuthOptions, extra: Omit<AuthOptions, 'secret'> = {}): Auth {
  const o: AuthOptions = typeof secretOrOptions === 'string' ? { secret: secretOrOptions, ...extra } : { ...secretOrOptions, ...extra }
  const now = o.now ?? Date.now
  const maxTokenBytes = o.maxTokenBytes ?? 16 * 1024
  const clockTolerance = o.clockToleranceS ?? 30
  const secretKey = o.secret ? new TextEncoder().encode(o.secret) : undefined
  const idpAlgorithms = new Set(o.algorithms ?? ['RS256', 'ES256'])
  const verified = (o.cacheEntries ?? 10_000) > 0 ? createLru<Principal>(o.cacheEntries ?? 10_000, now) : undefined
  // Long tokens are remembered by their hash: 10,000 of them must not hold 160 MB of text.
  const cacheKey = (token: string) => (token.length <= 2048 ? token : `#${createHash('sha256').update(token).digest('base64url')}`)

  const checkRevoked = (p: Principal) => {
    if (p.jti !== undefined && o.revocations?.isRevoked(p.jti)) throw new AppError(401, 'TOKEN_REVOKED', 'the token has been revoked: sign in again')
    return p
  }

  /** Which key and rules a token's `alg` selects: HS256 only the secret, provider algorithms only the JWKS. */
  const route = (alg: unknown): { idp: boolean; mapping: ClaimMapping } => {
    if (alg === 'HS256' && secretKey) return { idp: false, mapping: nativeClaims }
    if (typeof alg === 'string' && idpAlgorithms.has(alg) && o.jwks) return { idp: true, mapping: o.claims ?? nativeClaims }
    throw new AppError(401, 'INVALID_TOKEN', `tokens signed with ${typeof alg === 'string' ? alg.slice(0, 20) : 'no algorithm'} are not accepted here`, { details: { reason: 'algorithm' } })
  }

  /** After the signature and the standard claims: iat, the mapping to a Principal, revocation. */
  const toVerifiedPrincipal = (payload: Record<string, unknown>, mapping: ClaimMapping): Principal => {
    // jose leaves iat alone; a token issued in the future means a clock too far off.
    if (typeof payload.iat === 'number' && payload.iat * 1000 > now() + clockTolerance * 1000) throw new AppError(401, 'TOKEN_NOT_YET_VALID', 'the token was issued in the future: check the clocks', { details: { claim: 'iat' } })
    return checkRevoked(toPrincipal(payload, mapping))
  }

  const verifyNow = async (token: string): Promise<Principal> => {
    let alg: unknown
    try {
      alg = decodeProtectedHeader(token).alg
    } catch (cause) {
      throw new AppError(401, 'INVALID_TOKEN', 'the token is not a JWT', { cause })
    }
    const { idp, mapping } = route(alg)
    const key: Uint8Array | JWTVerifyGetKey = idp ? o.jwks!.getKey : secretKey!
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, key as Uint8Array, {
        algorithms: [alg as string], requiredClaims: ['exp'], clockTolerance, currentDate: new Date(now()),
        ...(idp ? { issuer: o.issuer, audience: o.audience } : {}),
      }))
    } catch (cause) {
      throw toAppError(cause)
    }
    return toVerifiedPrincipal(payload as Record<string, unknown>, mapping)
  }

  const verifyNowSync = (token: string): Principal => {
    const header = headerOf(token)
    const { idp, mapping } = route(header.alg)
    let key: Uint8Array | KeyObject | undefined = secretKey
    if (idp) {
      key = o.jwks!.keySync(header)
      if (!key) {
        if (o.jwks!.failing()) throw new AppError(503, 'JWKS_UNAVAILABLE', 'the identity provider\'s signing keys cannot be fetched; try again later', { retryAfterS: 30 })
        throw new AppError(401, 'UNKNOWN_SIGNING_KEY', 'the token is signed with a key the identity provider does not publish (retry: it is being fetched)')
      }
    }
    const payload = verifyCompactSync(token, {
      algorithm: header.alg as string, key: key!, clockToleranceS: clockTolerance, nowMs: now(),
      ...(idp ? { issuer: o.issuer, audience: o.audience } : {}),
    })
    return toVerifiedPrincipal(payload, mapping)
  }

  /** Size, the cache (revocation checked on a hit too), then `check`; remembers the result until its exp. */
  const precheck = (token: string): { k: string; hit?: Principal } => {
    if (typeof token !== 'string' || token.length === 0) throw new AppError(401, 'INVALID_TOKEN', 'the token is empty')
    if (token.length > maxTokenBytes) throw new AppError(401, 'TOKEN_TOO_LARGE', `the token is longer than ${maxTokenBytes} bytes`, { details: { maxBytes: maxTokenBytes } })
    const k = cacheKey(token)
    const hit = verified?.get(k)
    return { k, hit: hit && checkRevoked(hit) }
  }
  const remember = (k: string, principal: Principal) => {
    const ttlMs = (principal.expiresAtMs ?? 0) - now()
    if (ttlMs > 0) verified?.set(k, principal, ttlMs)
    return principal
  }

  return {
    canSign: !!secretKey,
    async verify(token) {
      const { k, hit } = precheck(token)
      return hit ?? remember(k, await verifyNow(token))
    },
    verifySync(token) {
      const { k, hit } = precheck(token)
      return hit ?? remember(k, verifyNowSync(token))
    },
    sign(claims, ttl = '30d') {
      if (!secretKey) return Promise.reject(new AppError(500, 'INTERNAL', 'this gateway has no AUTH_SECRET to sign tokens with'))
      const iat = Math.floor(now() / 1000)
      // A negative ttl (`-1s`) signs a token expired that long ago beyond this verifier's clock
      // tolerance, i.e. refused as expired at once: tests of expiry need one.
      const ttlS = ttl.startsWith('-') ? -(ttlSeconds(ttl.slice(1)) ?? NaN) - clockTolerance : ttlSeconds(ttl)
      if (ttlS === undefined || Number.isNaN(ttlS)) return Promise.reject(new AppError(400, 'INVALID_PARAMETER', `ttl: expected a duration like 15m, 12h, 7d: ${ttl}`, { details: { param: 'ttl' } }))
      return new SignJWT({ roles: claims.roles, symbols: claims.symbols ?? [], shops: claims.shops ?? [] })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(claims.sub)
        .setJti(randomUUID())
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlS)
        .sign(secretKey)
    },
  }
}

const ttlUnits: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/** `90s`, `15m`, `12h`, `7d`, `2w` → seconds (1 s to 400 days); undefined when malformed. */
export function ttlSeconds(ttl: string): number | undefined {
  const m = /^(\d{1,6})\s*([smhdw])$/.exec(ttl.trim())
  const s = m ? Number(m[1]) * ttlUnits[m[2]] : NaN
  return s >= 1 && s <= 400 * 86400 ? s : undefined
}

/** jose's failures as the codes of docs/errors.md. */
function toAppError(cause: unknown): AppError {
  if (isAppError(cause)) return cause
  if (cause instanceof joseErrors.JWTExpired) return new AppError(401, 'TOKEN_EXPIRED', 'the token has expired', { cause })
  if (cause instanceof joseErrors.JWTClaimValidationFailed) {
    if (cause.claim === 'nbf' && cause.reason === 'check_failed') return new AppError(401, 'TOKEN_NOT_YET_VALID', 'the token is not valid yet: check the clocks', { cause, details: { claim: 'nbf' } })
    return new AppError(401, 'INVALID_CLAIMS', `the token's ${cause.claim} claim is not accepted here`, { cause, details: { claim: cause.claim } })
  }
  if (cause instanceof joseErrors.JOSEAlgNotAllowed) return new AppError(401, 'INVALID_TOKEN', 'the token\'s algorithm is not accepted here', { cause, details: { reason: 'algorithm' } })
  return new AppError(401, 'INVALID_TOKEN', 'the token is not valid', { cause })
}

/** The tokens `npm start` prints in demo mode, one per role. */
export async function createDemoTokens(auth: Auth): Promise<Record<Role, string>> {
  const all = { symbols: ['*'], shops: ['*'] }
  const entries = await Promise.all(
    roles.map(async (role) => [role, await auth.sign({ sub: `demo-${role}`, roles: [role], ...all })] as const),
  )
  return Object.fromEntries(entries) as Record<Role, string>
}
