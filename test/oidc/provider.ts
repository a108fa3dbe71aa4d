// A real OpenID Provider for tests: npm `oidc-provider` (a certified implementation) on a
// free port, shaped like a Keycloak realm. Users sign in on its own login page (the dev
// interactions: any password), access tokens are ES256 JWTs for the audience
// `urn:livehouse:api` carrying roles at `realm_access.roles` under the provider's names
// (`lh-trader`, …) plus `symbols` / `shops`, so the gateway's claim mapping is exercised.
import { generateKeyPair, exportJWK } from 'jose'
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider'
import { getFreePort } from '../support/ports.ts'

export const oidcAudience = 'urn:livehouse:api'
export const oidcClientId = 'livehouse-ui'
export const robotClient = { id: 'robot', secret: 'robot-secret-robot-secret-robot-secret' }
/** The provider's role names, as AUTH_ROLE_MAP maps them. */
export const oidcRoleMap = 'lh-trader=trader,lh-seller=seller,lh-analyst=analyst,lh-ops=admin'

export interface OidcUser {
  roles: string[]
  symbols?: string[]
  shops?: string[]
  name?: string
}

export const oidcUsers: Record<string, OidcUser> = {
  alice: { roles: ['lh-trader', 'offline_access'], symbols: ['*'], name: 'Alice Trader' },
  sam: { roles: ['lh-seller'], shops: ['shop-a'], name: 'Sam Seller' },
}

export interface TestOidcProvider {
  issuer: string
  jwksUri: string
  /** What the gateway needs to trust this provider and let the UI sign in with it. */
  gatewayEnv: Record<string, string>
  /** An access token for the robot client (client credentials), as a service would get one. */
  robotToken(): Promise<string>
  close(): Promise<void>
}

export async function startOidcProvider(o: { uiOrigin?: string; accessTokenTtlS?: number; port?: number } = {}): Promise<TestOidcProvider> {
  const port = o.port ?? await getFreePort()
  const issuer = `http://localhost:${port}`
  const keys = await Promise.all([
    generateKeyPair('ES256', { extractable: true }).then(async (k) => ({ ...(await exportJWK(k.privateKey)), kid: 'es-1', alg: 'ES256', use: 'sig' })),
    generateKeyPair('RS256', { extractable: true }).then(async (k) => ({ ...(await exportJWK(k.privateKey)), kid: 'rs-1', alg: 'RS256', use: 'sig' })),
  ])
  const claimsOf = (accountId: string | undefined, clientId: string | undefined) => {
    const u = accountId ? oidcUsers[accountId] : clientId === robotClient.id ? { roles: ['lh-trader'], symbols: ['*'] } : undefined
    return u ? { realm_access: { roles: u.roles }, symbols: u.symbols ?? [], shops: u.shops ?? [] } : {}
  }
  const redirects = o.uiOrigin ? [`${o.uiOrigin}/`] : []
  const configuration: Configuration = {
    clients: [
      {
        client_id: oidcClientId, token_endpoint_auth_method: 'none', application_type: 'web',
        redirect_uris: redirects, post_logout_redirect_uris: redirects,
        grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      },
      { client_id: robotClient.id, client_secret: robotClient.secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
    ],
    jwks: { keys },
    pkce: { required: () => true },
    findAccount: async (_ctx, id) => (oidcUsers[id] ? { accountId: id, claims: async () => ({ sub: id, name: oidcUsers[id].name }) } : undefined),
    claims: { openid: ['sub'], profile: ['name'] },
    scopes: ['openid', 'profile', 'offline_access', 'livehouse'],
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => oidcAudience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async () => ({
          scope: 'livehouse', audience: oidcAudience, accessTokenFormat: 'jwt', accessTokenTTL: o.accessTokenTtlS ?? 600,
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    extraTokenClaims: async (_ctx: KoaContextWithOIDC, token) => {
      const t = token as unknown as { accountId?: string; clientId?: string }
      return claimsOf(t.accountId, t.clientId)
    },
    // The UI is a first-party public client: it gets refresh tokens without asking for offline_access.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: { AccessToken: o.accessTokenTtlS ?? 600, IdToken: 3600, RefreshToken: 86_400, Session: 86_400, Grant: 86_400, Interaction: 3600, AuthorizationCode: 60, ClientCredentials: 600 },
    cookies: { keys: ['livehouse-test-cookie-key-0123456789'] },
    renderError: async (ctx, out) => {
      ctx.type = 'html'
      ctx.body = `<!doctype html><title>OP error</title><pre id="op-error">${JSON.stringify(out).replace(/</g, '&lt;')}</pre>`
    },
  }
  const provider = new Provider(issuer, configuration)
  const server = provider.listen(port)
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve())
    server.once('error', reject)
  })
  const jwksUri = `${issuer}/jwks`
  return {
    issuer,
    jwksUri,
    gatewayEnv: {
      AUTH_JWKS_URL: jwksUri, AUTH_ISSUER: issuer, AUTH_AUDIENCE: oidcAudience,
      AUTH_CLAIM_ROLES: 'realm_access.roles', AUTH_ROLE_MAP: oidcRoleMap,
      AUTH_OIDC_ISSUER: issuer, AUTH_OIDC_CLIENT_ID: oidcClientId, AUTH_OIDC_SCOPE: 'openid profile livehouse',
    },
    async robotToken() {
      const r = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${robotClient.id}:${robotClient.secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'livehouse', resource: oidcAudience }),
      })
      const body = (await r.json()) as { access_token?: string; error?: string; error_description?: string }
      if (!body.access_token) throw new Error(`client_credentials failed: ${r.status} ${JSON.stringify(body)}`)
      return body.access_token
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections?.()
      server.close(() => resolve())
    }),
  }
}
