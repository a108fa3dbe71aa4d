import { createResource, createSignal, For, Show } from 'solid-js'
import { authConfig, demoRoles, demoToken, type AuthConfig } from '../auth/config.ts'
import { parseToken, signIn, whoIs } from '../session.ts'

/** What the server refused a pasted token with, in words. */
const refusals: Record<string, string> = {
  TOKEN_EXPIRED: 'This token has expired: get a new one.',
  TOKEN_REVOKED: 'This token has been revoked.',
  INVALID_TOKEN: 'The server does not accept this token (wrong signature or algorithm: was it made for another server?).',
  INVALID_CLAIMS: 'The server does not accept this token\'s claims (issuer, audience or their types).',
  UNKNOWN_SIGNING_KEY: 'This token is signed with a key the identity provider does not publish.',
  TOKEN_TOO_LARGE: 'This token is too long.',
}

/**
 * Sign in: with the identity provider (OpenID Connect) when the server has one, one click
 * per role in demo mode, or by pasting a token (`npm run token`, or one printed by `npm start`).
 */
export function SignIn() {
  const [config] = createResource(() => authConfig().catch((): AuthConfig => ({ demo: false })))
  const [value, setValue] = createSignal('')
  const [error, setError] = createSignal<string>()
  const [busy, setBusy] = createSignal(false)
  const run = async (f: () => Promise<void>) => {
    setBusy(true)
    setError(undefined)
    try {
      await f()
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }
  const submit = (e: Event) => {
    e.preventDefault()
    const t = value().trim().replace(/^Bearer\s+/i, '')
    if (!parseToken(t)) return setError('That is not a JWT: expected three base64url parts separated by dots.')
    void run(async () => {
      const answer = await whoIs(t)
      if ('error' in answer) throw new Error(refusals[answer.error] ?? `The server refused this token (${answer.error}).`)
      signIn(t, 'token', answer.claims)
    })
  }
  const oidcHost = () => {
    const issuer = config()?.oidc?.issuer
    return issuer ? new URL(issuer).host : undefined
  }
  return (
    <main class="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to Livehouse</h1>
        <Show when={config()?.oidc}>
          <button type="button" class="primary" disabled={busy()} onClick={() => void run(() => import('../auth/oidc.ts').then((m) => m.startOidcSignIn()))}>
            Sign in with {oidcHost()}
          </button>
        </Show>
        <Show when={config()?.demo}>
          <fieldset class="demo" aria-label="Demo sign-in">
            <legend>Demo: sign in as</legend>
            <For each={demoRoles}>
              {(role) => (
                <button type="button" disabled={busy()} onClick={() => void run(async () => signIn(await demoToken(role)))}>{role}</button>
              )}
            </For>
          </fieldset>
        </Show>
        <p>Or paste an access token (<code>npm run token -- --role trader</code> makes one).</p>
        <label for="token">Token</label>
        <textarea id="token" rows="5" spellcheck={false} autocomplete="off" value={value()} onInput={(e) => setValue(e.currentTarget.value)} placeholder="eyJhbGciOiJIUzI1NiJ9…" />
        <Show when={error()}><p class="error" role="alert">{error()}</p></Show>
        <button type="submit" class={config()?.oidc || config()?.demo ? undefined : 'primary'} disabled={busy()}>Sign in</button>
      </form>
    </main>
  )
}
