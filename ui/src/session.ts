// The signed-in user: a pasted JWT kept in localStorage. Claims are read (not verified)
// only to choose views; the gateway verifies every request.
import { createSignal } from 'solid-js'

export type Role = 'admin' | 'trader' | 'seller' | 'analyst' | 'ingest'
export interface Claims {
  sub: string
  roles: Role[]
  symbols: string[] | '*'
  shops: string[] | '*'
  exp?: number
}

const KEY = 'livehouse.token'

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

const [token, setTokenSignal] = createSignal<string | undefined>(localStorage.getItem(KEY) ?? undefined)
export { token }

export function signIn(t: string) {
  localStorage.setItem(KEY, t)
  setTokenSignal(t)
}

export function signOut() {
  localStorage.removeItem(KEY)
  setTokenSignal(undefined)
}

export const claims = () => {
  const t = token()
  return t ? parseToken(t) : undefined
}

export const hasRole = (c: Claims | undefined, ...roles: Role[]) => !!c && (c.roles.includes('admin') || roles.some((r) => c.roles.includes(r)))
