// What the gateway offers for signing in (GET /api/v1/auth/config, no token): demo
// sign-in per role, and an OpenID Connect provider. Fetched once per page.

export interface OidcConfig {
  issuer: string
  clientId: string
  scope: string
  extraParams: Record<string, string>
}

export interface AuthConfig {
  demo: boolean
  oidc?: OidcConfig
}

let loaded: Promise<AuthConfig> | undefined

export function authConfig(): Promise<AuthConfig> {
  loaded ??= fetch('/api/v1/auth/config').then(async (r) => {
    if (!r.ok) throw new Error(`GET /api/v1/auth/config answered ${r.status}`)
    return (await r.json()) as AuthConfig
  })
  // A failed fetch is tried again next time rather than remembered.
  loaded.catch(() => (loaded = undefined))
  return loaded
}

/** The demo roles offered as one-click buttons (ingest has no view). */
export const demoRoles = ['trader', 'seller', 'analyst', 'admin'] as const

/** POST /api/v1/auth/demo: a token for `role`, in demo mode only. */
export async function demoToken(role: string): Promise<string> {
  const r = await fetch('/api/v1/auth/demo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role }) })
  const body = (await r.json()) as { token?: string; error?: { code: string; message: string } }
  if (!r.ok || !body.token) throw new Error(body.error?.message ?? `demo sign-in answered ${r.status}`)
  return body.token
}
