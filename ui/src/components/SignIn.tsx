import { createSignal, Show } from 'solid-js'
import { parseToken, signIn } from '../session.ts'

/** Paste a JWT (`npm start` prints demo tokens per role in embedded mode). */
export function SignIn() {
  const [value, setValue] = createSignal('')
  const [error, setError] = createSignal<string>()
  const submit = (e: Event) => {
    e.preventDefault()
    const t = value().trim().replace(/^Bearer\s+/i, '')
    const c = parseToken(t)
    if (!c) return setError('That is not a JWT: expected three base64url parts separated by dots.')
    if (c.exp && c.exp * 1000 < Date.now()) return setError('This token has expired.')
    signIn(t)
  }
  return (
    <main class="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to Livehouse</h1>
        <p>Paste your access token. In embedded mode, <code>npm start</code> prints a demo token per role (trader, seller, analyst, admin).</p>
        <label for="token">Token</label>
        <textarea id="token" rows="5" spellcheck={false} autocomplete="off" value={value()} onInput={(e) => setValue(e.currentTarget.value)} placeholder="eyJhbGciOiJIUzI1NiJ9…" />
        <Show when={error()}><p class="error" role="alert">{error()}</p></Show>
        <button type="submit" class="primary">Sign in</button>
      </form>
    </main>
  )
}
