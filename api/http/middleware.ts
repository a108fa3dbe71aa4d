import type { Context, MiddlewareHandler } from 'hono'
import { type Auth } from '../auth.ts'
import { type Principal, type Role } from '../../core/roles.ts'
import { AppError } from '../../core/errors.ts'
import * as access from '../access.ts'

export type AppEnv = {
  Bindings: { remoteAddress?: string }
  Variables: { principal: Principal; requestId: string }
}

/** The token of an `Authorization: Bearer <token>` header value (REST, the WebSocket upgrade, the SQL port). */
export function bearerToken(authorization: string | null | undefined): string | undefined {
  return (authorization && /^Bearer\s+(\S+)$/i.exec(authorization)?.[1]) || undefined
}

/** Bearer token from the Authorization header. */
export const getBearerToken = (c: Context): string | undefined => bearerToken(c.req.header('authorization'))

/** Requires a valid JWT (api/auth.ts: signature, expiry, revocation) and sets `principal`; what it may do is checked after it. */
export function authenticate(auth: Auth): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = getBearerToken(c)
    if (!token) throw new AppError(401, 'UNAUTHENTICATED', 'a Bearer token is required')
    c.set('principal', await auth.verify(token))
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
