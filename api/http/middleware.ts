import type { Context, MiddlewareHandler } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { type Auth } from '../auth.ts'
import { type Principal, type Role } from '../../core/roles.ts'
import { AppError } from '../../core/errors.ts'
import * as access from '../access.ts'

export type AppEnv = {
  Bindings: { remoteAddress?: string }
  Variables: { principal: Principal; requestId: string }
}

/** The token of an `Authorization: Bearer <token>` header value, for the WebSocket upgrade and the SQL port. */
// Not hono/bearer-auth there: neither is a Hono route (a uWS upgrade; the SQL port also takes Basic and X-ClickHouse-Key).
export function bearerToken(authorization: string | null | undefined): string | undefined {
  return (authorization && /^Bearer\s+(\S+)$/i.exec(authorization)?.[1]) || undefined
}

const unauthenticated = (): never => {
  throw new AppError(401, 'UNAUTHENTICATED', 'a Bearer token is required')
}
/** A Bearer header whose token has characters no token has: malformed, as the verifier would say; any other scheme: no token. */
const malformed = (c: Context): never => {
  if (/^bearer\s/i.test(c.req.header('authorization') ?? '')) throw new AppError(401, 'INVALID_TOKEN', 'the Bearer token is malformed')
  return unauthenticated()
}

export interface AuthenticateOptions {
  /**
   * A token from elsewhere when the request has no Authorization header: the alerts stream takes
   * `?access_token=` (EventSource cannot send headers).
   */
  queryToken?(c: Context<AppEnv>): string | undefined
}

/**
 * Requires a valid JWT (api/auth.ts: signature, expiry, revocation) and sets `principal`; what it
 * may do is checked after it. hono/bearer-auth parses the header; every refusal is our AppError
 * (its message options throw ours, and the verifier's own codes pass through), so the 401 JSON
 * and codes are those of docs/errors.md.
 */
export function authenticate(auth: Auth, o: AuthenticateOptions = {}): MiddlewareHandler<AppEnv> {
  const verify = async (token: string, c: Context<AppEnv>) => {
    c.set('principal', await auth.verify(token))
    return true
  }
  const bearer = bearerAuth<AppEnv>({
    verifyToken: verify,
    noAuthenticationHeader: { message: unauthenticated },
    invalidAuthenticationHeader: { message: malformed },
    invalidToken: { message: unauthenticated }, // not reached: verify answers true or throws the verifier's code
  })
  if (!o.queryToken) return bearer
  const queryToken = o.queryToken
  return async (c, next) => {
    const token = c.req.header('authorization') === undefined ? queryToken(c) : undefined
    if (!token) return bearer(c, next)
    await verify(token, c)
    await next()
  }
}

/** 403 FORBIDDEN unless `p` has one of `allowed` (admin passes every check): api/access.ts decides. */
export function checkRole(p: Principal, allowed: readonly Role[]): void {
  access.enforce(access.role(p, allowed))
}

/** Requires a valid JWT carrying one of `allowed`. */
export function requireRole(auth: Auth, allowed: readonly Role[]): MiddlewareHandler<AppEnv> {
  const authenticated = authenticate(auth)
  return (c, next) => authenticated(c, async () => {
    checkRole(c.get('principal'), allowed)
    await next()
  })
}
