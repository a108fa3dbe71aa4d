import type { Context, MiddlewareHandler } from 'hono'
import { hasRole, type Auth, type Principal, type Role } from '../auth.ts'
import { AppError } from '../errors.ts'

export type AppEnv = {
  Bindings: { remoteAddress?: string }
  Variables: { principal: Principal; requestId: string }
}

/** Bearer token from the Authorization header (or `access_token` query parameter for browsers' WebSocket/EventSource). */
export function getBearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization')
  const match = header && /^Bearer\s+(\S+)$/i.exec(header)
  return match ? match[1] : undefined
}

/** Requires a valid JWT carrying one of `allowed` (admin passes every check). */
export function requireRole(auth: Auth, allowed: readonly Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = getBearerToken(c)
    if (!token) throw new AppError(401, 'UNAUTHENTICATED', 'a Bearer token is required')
    const principal = await auth.verify(token)
    if (!hasRole(principal, allowed)) throw new AppError(403, 'FORBIDDEN', `this needs one of the roles: ${allowed.join(', ')}`)
    c.set('principal', principal)
    await next()
  }
}
