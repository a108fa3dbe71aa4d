import { randomBytes } from 'node:crypto'
import { createSigner, createVerifier, TokenError } from 'fast-jwt'
import { createLru } from './cache/lru.ts'
import { AppError } from '../core/errors.ts'
import { isRole, roles, type Principal, type Role } from '../core/roles.ts'

export interface Auth {
  verify(token: string): Promise<Principal>
  /**
   * The same check, synchronously: the WebSocket upgrade decides inside uWS's own callback,
   * because an upgrade completed later (after an await) can be closed by uWS right after it
   * opens (api/transport/uws.ts).
   */
  verifySync(token: string): Principal
  sign(claims: { sub: string; roles: Role[]; symbols?: string[]; shops?: string[] }, ttl?: string): Promise<string>
}

/**
 * HS256 JWTs signed with `secret` (claims and roles: docs/architecture.md). Verified tokens are remembered
 * (token → Principal, the `cacheEntries` most recently used, each until its `exp`): a
 * dashboard sends the same token on every request, and verification was the largest cost of
 * a cached answer. A token past `exp` is verified again, so it fails as expired. `now` is the
 * clock of both the cache and the `exp` check. fast-jwt rather than jose: it verifies
 * synchronously, which the WebSocket upgrade needs (Auth.verifySync).
 */
export function createAuth(secret: string, { cacheEntries = 10_000, now = Date.now } = {}): Auth {
  const key = Buffer.from(secret)
  const verified = cacheEntries > 0 ? createLru<Principal>(cacheEntries, now) : undefined
  const verifySync = (token: string): Principal => {
    const hit = verified?.get(token)
    if (hit) return hit
    let payload: Record<string, unknown>
    try {
      // A verifier per check: cheap next to the HMAC, and it reads the injected clock.
      payload = createVerifier({ key, algorithms: ['HS256'], requiredClaims: ['sub', 'exp'], clockTimestamp: now() })(token)
    } catch (cause) {
      const expired = cause instanceof TokenError && cause.code === TokenError.codes.expired
      throw new AppError(401, expired ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN', expired ? 'the token has expired' : 'the token is not valid', { cause })
    }
    const principal = toPrincipal(payload)
    if (typeof payload.exp === 'number') verified?.set(token, principal, payload.exp * 1000 - now())
    return principal
  }
  return {
    verifySync,
    verify: async (token) => verifySync(token),
    sign(claims, ttl = '30d') {
      const sign = createSigner({ key, algorithm: 'HS256', expiresIn: ttl, sub: claims.sub })
      return Promise.resolve(sign({ roles: claims.roles, symbols: claims.symbols ?? [], shops: claims.shops ?? [] }))
    },
  }
}

function toPrincipal(payload: Record<string, unknown>): Principal {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])
  const scope = (v: unknown) => {
    const items = list(v)
    return items.includes('*') ? ('*' as const) : new Set(items)
  }
  // A non-string subject would become "[object Object]" and collide with other such tokens.
  if (typeof payload.sub !== 'string' || !payload.sub) throw new AppError(401, 'INVALID_TOKEN', 'the token is not valid: sub must be a string')
  return {
    sub: payload.sub,
    roles: new Set(list(payload.roles).filter(isRole)),
    symbols: scope(payload.symbols),
    shops: scope(payload.shops),
  }
}

export const generateSecret = () => randomBytes(32).toString('base64url')

/** The tokens `npm start` prints in embedded mode, one per role. */
export async function createDemoTokens(auth: Auth): Promise<Record<Role, string>> {
  const all = { symbols: ['*'], shops: ['*'] }
  const entries = await Promise.all(
    roles.map(async (role) => [role, await auth.sign({ sub: `demo-${role}`, roles: [role], ...all })] as const),
  )
  return Object.fromEntries(entries) as Record<Role, string>
}
