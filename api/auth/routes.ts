import { Hono, type MiddlewareHandler } from 'hono'
import { z } from 'zod'
import { decodeJwt } from 'jose'
import { AppError } from '../../core/errors.ts'
import { roles, type Principal } from '../../core/roles.ts'
import type { Auth } from '../auth.ts'
import { jsonBody, validJson } from '../http/json-body.ts'
import { authenticate, requireRole, type AppEnv } from '../http/middleware.ts'
import type { Revocations } from './revocations.ts'
import type { PublicAuthConfig } from './setup.ts'

export interface AuthRoutesOptions {
  auth: Auth
  revocations: Revocations
  publicConfig: PublicAuthConfig
  /** Lifetime of a one-click demo token. */
  demoTtl?: string
  /** How long a revocation is kept when neither `exp` nor the token is given (longer than any token lives). */
  defaultRevocationMs?: number
}

/** Extra keys are ignored, as they always were. */
const demoBody = z.object({ role: z.enum(roles) })

const revokeBody = z.union([
  z.object({ jti: z.string().min(1).max(256), exp: z.number().int().positive().optional() }).strict(),
  z.object({ token: z.string().min(1).max(64 * 1024) }).strict(),
])

const principalJson = (p: Principal) => ({
  sub: p.sub,
  roles: [...p.roles].sort(),
  symbols: p.symbols === '*' ? ['*'] : [...p.symbols].sort(),
  shops: p.shops === '*' ? ['*'] : [...p.shops].sort(),
  ...(p.jti ? { jti: p.jti } : {}),
  ...(p.expiresAtMs ? { expiresAt: new Date(p.expiresAtMs).toISOString() } : {}),
})

/**
 * /api/v1/auth: what the sign-in page offers (config), one-click demo tokens (demo mode
 * only), who a token is as the server maps it (me), and revocation by jti (admin).
 */
export function createAuthRoutes(o: AuthRoutesOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const defaultRevocationMs = o.defaultRevocationMs ?? 400 * 86_400_000

  app.get('/api/v1/auth/config', (c) => c.json(o.publicConfig, 200, { 'cache-control': 'no-store' }))

  const demoOn: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (!o.publicConfig.demo) throw new AppError(404, 'NOT_FOUND', 'demo sign-in is off on this server')
    await next()
  }
  const demoRole = validJson(demoBody, () => new AppError(400, 'INVALID_PARAMETER', `role: expected one of ${roles.join(', ')}`, { details: { param: 'role' } }))
  app.post('/api/v1/auth/demo', demoOn, jsonBody(1024), demoRole, async (c) => {
    const { role } = c.req.valid('json')
    const token = await o.auth.sign({ sub: `demo-${role}`, roles: [role], symbols: ['*'], shops: ['*'] }, o.demoTtl ?? '7d')
    return c.json({ token }, 200, { 'cache-control': 'no-store' })
  })

  app.get('/api/v1/auth/me', authenticate(o.auth), (c) => c.json(principalJson(c.get('principal')), 200, { 'cache-control': 'no-store' }))

  app.get('/api/v1/auth/revoked', requireRole(o.auth, ['admin']), (c) => c.json({ revoked: o.revocations.list().map(revokedJson) }))

  const revocation = validJson(revokeBody, () => new AppError(400, 'INVALID_PARAMETER', 'expected {"jti": "…", "exp": <epoch seconds>?} or {"token": "…"}', { details: { param: 'body' } }))
  app.post('/api/v1/auth/revoke', requireRole(o.auth, ['admin']), jsonBody(128 * 1024), revocation, async (c) => {
    const body = c.req.valid('json')
    let jti: string
    let expiresAtMs: number
    if ('token' in body) {
      const token = body.token
      // The token's own jti and exp; it must be one of ours or the provider's (a forged one could name any jti).
      const p = await o.auth.verify(token).catch((e) => {
        if (e instanceof AppError && e.code === 'TOKEN_REVOKED') return decodedPrincipal(token)
        throw new AppError(400, 'INVALID_PARAMETER', `token: ${e instanceof AppError ? e.code : 'not valid'}`, { details: { param: 'token' } })
      })
      if (!p.jti) throw new AppError(400, 'INVALID_PARAMETER', 'token: it has no jti, so it cannot be revoked (it expires at its exp)', { details: { param: 'token' } })
      jti = p.jti
      expiresAtMs = p.expiresAtMs ?? Date.now() + defaultRevocationMs
    } else {
      jti = body.jti
      expiresAtMs = body.exp ? body.exp * 1000 : Date.now() + defaultRevocationMs
    }
    const r = await o.revocations.revoke({ jti, expiresAtMs, by: c.get('principal').sub })
    return c.json({ revoked: revokedJson(r) })
  })
  return app
}

const revokedJson = (r: { jti: string; expiresAtMs: number; revokedAtMs: number; by?: string }) => ({
  jti: r.jti, expiresAt: new Date(r.expiresAtMs).toISOString(), revokedAt: new Date(r.revokedAtMs).toISOString(), ...(r.by ? { by: r.by } : {}),
})

/** An already revoked token was verified before; its jti and exp are what they were. */
function decodedPrincipal(token: string): Pick<Principal, 'jti' | 'expiresAtMs'> {
  const c = decodeJwt(token)
  return { jti: typeof c.jti === 'string' ? c.jti : undefined, expiresAtMs: typeof c.exp === 'number' ? c.exp * 1000 : undefined }
}
