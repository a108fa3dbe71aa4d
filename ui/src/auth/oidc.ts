// OpenID Connect sign-in with oidc-client-ts: authorization code + PKCE against the
// gateway's AUTH_OIDC_ISSUER, renewed silently before the access token expires (refresh
// token when the provider gives one, else a hidden iframe with prompt=none), and sign-out
// at the provider. The access token is what the gateway verifies (docs/auth.md).
import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts'
import { authConfig, type OidcConfig } from './config.ts'

let manager: UserManager | undefined

/** The page's UserManager for `cfg` (one per page: it owns the renewal timers). */
function managerFor(cfg: OidcConfig): UserManager {
  const home = `${location.origin}/`
  manager ??= new UserManager({
    authority: cfg.issuer,
    client_id: cfg.clientId,
    redirect_uri: home,
    silent_redirect_uri: home,
    post_logout_redirect_uri: home,
    response_type: 'code',
    scope: cfg.scope,
    extraQueryParams: cfg.extraParams,
    automaticSilentRenew: true,
    // Renew a minute before expiry: the live socket and every request keep a valid token.
    accessTokenExpiringNotificationTimeInSeconds: 60,
    loadUserInfo: false,
    userStore: new WebStorageStateStore({ store: window.localStorage }),
  })
  return manager
}

/** Sends the browser to the provider's login page. */
export async function startOidcSignIn(): Promise<void> {
  const cfg = (await authConfig()).oidc
  if (!cfg) throw new Error('this gateway has no OpenID Connect provider configured')
  await managerFor(cfg).signinRedirect()
}

export interface OidcSession {
  /** Called with each new access token: the first, and every silent renewal. */
  onToken(token: string): void
  /** The provider session is gone (renewal failed past expiry, or signed out elsewhere). */
  onEnded(): void
}

/**
 * Completes a redirect back from the provider, or resumes a stored session, and keeps it
 * renewed. Returns false inside the silent-renewal iframe: that page must render nothing.
 */
export async function resumeOidc(session: OidcSession): Promise<boolean> {
  const url = new URL(location.href)
  const callback = url.searchParams.has('state')
  const cfg = (await authConfig()).oidc
  if (!cfg) return true
  const m = managerFor(cfg)
  m.events.addUserLoaded((u) => session.onToken(u.access_token))
  m.events.addAccessTokenExpired(() => void m.signinSilent().catch(() => session.onEnded()))
  m.events.addUserSignedOut(() => session.onEnded())
  if (callback) {
    const inFrame = window.parent !== window
    const kind = url.searchParams.has('code') || url.searchParams.has('error') ? 'signin' : 'signout'
    try {
      if (kind === 'signin') {
        const user: User | undefined = await m.signinCallback()
        if (inFrame) return false // the parent page got the renewed user
        if (user) session.onToken(user.access_token)
      } else {
        await m.signoutCallback()
      }
    } finally {
      if (!inFrame) history.replaceState(null, '', `${location.pathname}${location.hash}`)
    }
    return !inFrame
  }
  const user = await m.getUser()
  if (user && !user.expired) session.onToken(user.access_token)
  else if (user) await m.signinSilent().then((u) => u && session.onToken(u.access_token), () => session.onEnded())
  return true
}

/** Signs out here and at the provider (its end-session endpoint, then back to the sign-in page). */
export async function signOutAtProvider(): Promise<void> {
  const cfg = (await authConfig()).oidc
  if (!cfg) return
  const m = managerFor(cfg)
  const user = await m.getUser()
  await m.removeUser()
  await m.signoutRedirect({ id_token_hint: user?.id_token })
}
