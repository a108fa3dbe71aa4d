import type { Config } from '../config.ts'
import type { Logger } from '../log.ts'
import { createAuth, createDemoTokens, type Auth } from '../auth.ts'
import type { Role } from '../../core/roles.ts'
import { createJwksSource, type KeySource } from './jwks.ts'
import { createFileRevocations, createRedisRevocations, type Revocations } from './revocations.ts'
import { loadOrCreateSecret } from './secret.ts'
import { createTokenWatch, type TokenWatch } from './token-watch.ts'

/** What the UI's sign-in page needs to know (GET /api/v1/auth/config, no token). */
export interface PublicAuthConfig {
  /** One-click sign-in per role (POST /api/v1/auth/demo). */
  demo: boolean
  /** OpenID Connect sign-in, when configured. */
  oidc?: { issuer: string; clientId: string; scope: string; extraParams: Record<string, string> }
}

export interface AuthSetup {
  auth: Auth
  revocations: Revocations
  /** Ends open connections (WebSocket, SSE) at their token's exp or revocation. */
  tokenWatch: TokenWatch
  jwks?: KeySource
  publicConfig: PublicAuthConfig
  /** The tokens `npm start` prints in demo mode. */
  demoTokens?: Record<Role, string>
  /** Where the HS256 secret came from. */
  secretSource: 'env' | 'data-dir' | 'none'
  close(): Promise<void>
}

/**
 * Authentication as configured (docs/auth.md): the HS256 secret from AUTH_SECRET, else in
 * embedded mode the one kept in DATA_DIR (generated on first start, so tokens survive
 * restarts); the identity provider's JWKS when AUTH_JWKS_URL is set; revocations in Redis
 * when REDIS_URL is set, else in DATA_DIR.
 */
export async function setupAuth(config: Config, log: Logger): Promise<AuthSetup> {
  const kept = !config.AUTH_SECRET && config.embedded && !config.AUTH_JWKS_URL ? loadOrCreateSecret(config.DATA_DIR) : undefined
  if (kept?.created) log.info('generated the embedded auth secret', { file: 'DATA_DIR/auth-secret' })
  const secret = config.AUTH_SECRET || kept?.secret
  const revocations = config.REDIS_URL
    ? await createRedisRevocations(config.REDIS_URL, { namespace: config.CACHE_NAMESPACE, onError: (e) => log.warn('revocation store', { error: e.message }) })
    : createFileRevocations(config.DATA_DIR)
  const jwks = config.AUTH_JWKS_URL
    ? createJwksSource({ url: config.AUTH_JWKS_URL, refreshMs: config.AUTH_JWKS_REFRESH_MS, timeoutMs: config.AUTH_JWKS_TIMEOUT_MS, onError: (e) => log.warn('JWKS fetch failed; keeping the keys fetched before', { error: e.message }) })
    : undefined
  const auth = createAuth({
    secret, jwks, revocations,
    issuer: config.AUTH_ISSUER || undefined,
    audience: config.AUTH_AUDIENCE ? config.AUTH_AUDIENCE.split(',').map((a) => a.trim()).filter(Boolean) : undefined,
    algorithms: config.AUTH_ALGORITHMS,
    claims: { sub: config.AUTH_CLAIM_SUB, roles: config.AUTH_CLAIM_ROLES, symbols: config.AUTH_CLAIM_SYMBOLS, shops: config.AUTH_CLAIM_SHOPS, roleMap: config.AUTH_ROLE_MAP },
    clockToleranceS: config.AUTH_CLOCK_TOLERANCE_S,
    maxTokenBytes: config.AUTH_MAX_TOKEN_BYTES,
  })
  const demo = config.AUTH_DEMO === 'on' || (config.AUTH_DEMO === 'auto' && !!kept)
  const oidc = config.AUTH_OIDC_ISSUER
    ? { issuer: config.AUTH_OIDC_ISSUER, clientId: config.AUTH_OIDC_CLIENT_ID, scope: config.AUTH_OIDC_SCOPE, extraParams: Object.fromEntries(new URLSearchParams(config.AUTH_OIDC_PARAMS)) }
    : undefined
  const tokenWatch = createTokenWatch(revocations)
  return {
    auth, revocations, jwks, tokenWatch,
    publicConfig: { demo: demo && auth.canSign, ...(oidc ? { oidc } : {}) },
    demoTokens: demo && auth.canSign ? await createDemoTokens(auth) : undefined,
    secretSource: config.AUTH_SECRET ? 'env' : kept ? 'data-dir' : 'none',
    async close() {
      tokenWatch.close()
      jwks?.close()
      await revocations.close()
    },
  }
}
