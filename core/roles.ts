// Who a caller is and what they may see: the vocabulary every surface (REST, WebSocket,
// SQL port, dashboards, ingestion) checks against. Tokens become Principals in api/auth.ts.

export const roles = ['admin', 'trader', 'seller', 'analyst', 'ingest'] as const
export type Role = (typeof roles)[number]

/** A scope: `'*'` means every symbol or shop. */
export type Scope = '*' | ReadonlySet<string>

/** Who is calling and what they may see. */
export interface Principal {
  sub: string
  roles: ReadonlySet<Role>
  symbols: Scope
  shops: Scope
  /** The token's `jti`, when it has one: what revocation names. */
  jti?: string
  /** The token's `exp` in epoch ms: surfaces that outlive a request (WebSocket, SSE) end there. */
  expiresAtMs?: number
}

export const isRole = (r: unknown): r is Role => typeof r === 'string' && (roles as readonly string[]).includes(r)

/** Admin may do everything; otherwise one of `allowed` is required. */
export function hasRole(p: Principal, allowed: readonly Role[]): boolean {
  return p.roles.has('admin') || allowed.some((r) => p.roles.has(r))
}

export function mayAccess(scope: Scope, item: string): boolean {
  return scope === '*' || scope.has(item)
}
