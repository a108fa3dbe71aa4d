// Request limits as Hono middleware, for every authenticated API: per TCP peer before
// authentication (cheap refusals of floods), per token subject after it. A new route group
// (alerts, say) gets both with `app.use('/api/v1/alerts/*', limits.guard(auth, roles))`.
import type { Context, MiddlewareHandler } from 'hono'
import type { Auth } from '../auth.ts'
import type { Role } from '../../core/roles.ts'
import { AppError } from '../../core/errors.ts'
import { authenticate, checkRole, type AppEnv } from '../http/middleware.ts'
import type { RateLimiter } from './ratelimit.ts'

export interface RequestLimits {
  /** Requests per second per token subject (0 = unlimited). */
  perTokenPerS: number
  /** Requests per second per TCP peer address (0 = unlimited). */
  perIpPerS: number
}

export interface RateLimits {
  /** Per peer address; put it before authentication. */
  byIp: MiddlewareHandler<AppEnv>
  /** Per token subject; needs `principal` (put it after authentication). */
  byToken: MiddlewareHandler<AppEnv>
  /** byIp, then authentication (and one of `roles`, if given), then byToken. */
  guard(auth: Auth, roles?: readonly Role[]): MiddlewareHandler<AppEnv>
}

export const clientIp = (c: Context<AppEnv>) => `ip:${c.env?.remoteAddress ?? 'local'}`
/** The token subject's key, or undefined (not counted) when nothing set a principal. */
export const tokenSubject = (c: Context<AppEnv>) => {
  const p = c.get('principal') as AppEnv['Variables']['principal'] | undefined
  return p ? `sub:${p.sub}` : undefined
}

/** 429 RATE_LIMITED with Retry-After when `keyOf` (undefined: not counted) is over `limit` per second. */
export function rateLimit(limiter: RateLimiter, keyOf: (c: Context<AppEnv>) => string | undefined, limit: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = limit > 0 ? keyOf(c) : undefined
    if (key !== undefined) {
      const r = limiter.hit(key, limit)
      if (!r.ok) throw new AppError(429, 'RATE_LIMITED', 'too many requests', { retryAfterS: r.retryAfterS })
    }
    await next()
  }
}

export function createRateLimits(limiter: RateLimiter, limits: RequestLimits): RateLimits {
  const byIp = rateLimit(limiter, clientIp, limits.perIpPerS)
  const byToken = rateLimit(limiter, tokenSubject, limits.perTokenPerS)
  return {
    byIp,
    byToken,
    guard(auth, roles) {
      const authenticated = authenticate(auth)
      return (c, next) => byIp(c, async () => {
        await authenticated(c, async () => {
          if (roles) checkRole(c.get('principal'), roles)
          await byToken(c, next)
        })
      })
    },
  }
}
