import type { Context, MiddlewareHandler } from 'hono'
import { type Auth } from '../auth.ts'
import { type Principal, type Role } from '../../core/roles.ts'
import { AppError } from '../../core/errors.ts'
import * as access from '../access.ts'

export type AppEnv = {
  Bindings: { remoteAddress?: string }
  Variables: { principal: Principal; requestId: string }
}

/** Bearer token from the Authorization header. */
export function getBearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization')
  const match = header && /^Bearer\s+(\S+)$/i.exec(header)
  return match ? match[1] : undefined
}

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
