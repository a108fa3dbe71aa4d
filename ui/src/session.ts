// The signed-in user: a token kept in localStorage (pasted, from demo sign-in, or the access
// token of an OpenID Connect sign-in, renewed silently). What it may see comes from the
// gateway (GET /api/v1/auth/me), which maps identity-provider claims; the token's own
// claims are read (not verified) only until that answer arrives. The gateway verifies
// every request.
import { createSignal } from 'solid-js'

export type Role = 'admin' | 'trader' | 'seller' | 'analyst' | 'ingest'
export interface Claims {
  sub: string
  roles: Role[]
  symbols: string[] | '*'
  shops: string[] | '*'
  exp?: number
}

/** How the token was obtained: an OpenID Connect session signs out at its provider too. */
export type Source = 'token' | 'oidc'

const KEY = 'livehouse.token'
const SOURCE_KEY = 'livehouse.token-source'

export function parseToken(token: string): Claims | undefined {
  try {
    const part = token.split('.')[1]
    const json = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')))
    const list = (v: unknown) => (Array.isArray(v) ? (v.includes('*') ? '*' : v.map(String)) : '*')
    return { sub: String(json.sub ?? ''), roles: Array.isArray(json.roles) ? json.roles : [], symbols: list(json.symbols), shops: list(json.shops), exp: json.exp }
  } catch {
    return undefined
  }
}

interface Me {
  sub: string
  roles: Role[]
  symbols: string[]
  shops: string[]
  expiresAt?: string
}

const fromMe = (m: Me): Claims => ({
  sub: m.sub, roles: m.roles,
  symbols: m.symbols.includes('*') ? '*' : m.symbols,
  shops: m.shops.includes('*') ? '*' : m.shops,
  exp: m.expiresAt ? Date.parse(m.expiresAt) / 1000 : undefined,
})

const [token, setTokenSignal] = createSignal<string | undefined>(localStorage.getItem(KEY) ?? undefined)
const [source, setSource] = createSignal<Source>(localStorage.getItem(SOURCE_KEY) === 'oidc' ? 'oidc' : 'token')
const [me, setMe] = createSignal<{ token: string; claims: Claims }>()
export { token, source }

/** The server's view of `t`: its claims, or the error code it was refused with. */
export async function whoIs(t: string): Promise<{ claims: Claims } | { error: string }> {
  const r = await fetch('/api/v1/auth/me', { headers: { authorization: `Bearer ${t}` } }).catch(() => undefined)
  if (!r) return { error: 'NETWORK' }
  const body = (await r.json().catch(() => ({}))) as Me & { error?: { code: string } }
  return r.ok ? { claims: fromMe(body) } : { error: body.error?.code ?? `HTTP_${r.status}` }
}

async function learn(t: string) {
  const answer = await whoIs(t)
  if (token() !== t) return // a newer token arrived meanwhile
  if ('claims' in answer) setMe({ token: t, claims: answer.claims })
  else if (answer.error !== 'NETWORK') signOut()
}

export function signIn(t: string, how: Source = 'token', known?: Claims) {
  localStorage.setItem(KEY, t)
  localStorage.setItem(SOURCE_KEY, how)
  setSource(how)
  setTokenSignal(t)
  if (known) setMe({ token: t, claims: known })
  else void learn(t)
}

/** Forgets the token here (a refused token, "Sign in again"); an OpenID Connect provider session stays. */
export function signOut() {
  localStorage.removeItem(KEY)
  localStorage.removeItem(SOURCE_KEY)
  setTokenSignal(undefined)
  setMe(undefined)
}

/** The header's Sign out: here, and at the identity provider for an OpenID Connect session. */
export async function signOutEverywhere() {
  const wasOidc = source() === 'oidc'
  signOut()
  if (wasOidc) await import('./auth/oidc.ts').then((m) => m.signOutAtProvider())
}

/**
 * The claims to choose views by: the server's answer for the current token; until it
 * arrives, the token's own claims, except for an identity provider's token, whose roles
 * may sit where only the server's mapping finds them.
 */
export const claims = (): Claims | undefined => {
  const t = token()
  if (!t) return undefined
  const known = me()
  if (known?.token === t) return known.claims
  return source() === 'oidc' ? known?.claims : parseToken(t)
}

export const hasRole = (c: Claims | undefined, ...roles: Role[]) => !!c && (c.roles.includes('admin') || roles.some((r) => c.roles.includes(r)))

/** At page load: the stored token's claims from the server, and an OpenID Connect session resumed or completed. */
export async function startSession(): Promise<boolean> {
  const t = token()
  if (t) void learn(t)
  const url = new URL(location.href)
  if (source() !== 'oidc' && !url.searchParams.has('state')) return true
  const { resumeOidc } = await import('./auth/oidc.ts')
  return resumeOidc({
    onToken: (access) => signIn(access, 'oidc'),
    onEnded: () => source() === 'oidc' && signOut(),
  }).catch((e) => {
    console.warn('OpenID Connect sign-in failed', e)
    return true
  })
}
