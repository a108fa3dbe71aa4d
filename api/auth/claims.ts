import { AppError } from '../../core/errors.ts'
import { isRole, type Principal, type Role, type Scope } from '../../core/roles.ts'

/**
 * Where a token keeps who the caller is and what they may see. Identity providers differ:
 * Keycloak puts roles at `realm_access.roles`, Auth0 at a namespaced claim such as
 * `https://livehouse.example/roles`. A path is tried as one claim name first (namespaced
 * claims hold dots), then as a dotted path into nested objects.
 */
export interface ClaimMapping {
  sub: string
  /** Every path is read; their role names are merged. */
  roles: string[]
  symbols: string
  shops: string
  /** Provider role name → Livehouse role; names not listed are taken as they are. */
  roleMap: Readonly<Record<string, Role>>
}

/** Livehouse's own tokens (`npm run token`, demo sign-in): the claims of docs/auth.md. */
export const nativeClaims: ClaimMapping = { sub: 'sub', roles: ['roles'], symbols: 'symbols', shops: 'shops', roleMap: {} }

/** Longest list a scope or role claim may hold; the token size limit already bounds it, this bounds the work. */
const maxListItems = 10_000

const invalid = (claim: string, expected: string) =>
  new AppError(401, 'INVALID_CLAIMS', `the token's ${claim} claim must be ${expected}`, { details: { claim } })

export function claimAt(payload: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path]
  let at: unknown = payload
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object' || Array.isArray(at) || !Object.hasOwn(at, part)) return undefined
    at = (at as Record<string, unknown>)[part]
  }
  return at
}

/** An optional list of strings; anything else is refused rather than guessed at. */
function stringList(payload: Record<string, unknown>, path: string): string[] {
  const v = claimAt(payload, path)
  if (v === undefined || v === null) return []
  if (!Array.isArray(v) || v.length > maxListItems || !v.every((x) => typeof x === 'string')) throw invalid(path, 'an array of strings')
  return v
}

const scopeOf = (items: string[]): Scope => (items.includes('*') ? '*' : new Set(items))

/**
 * The caller a verified payload describes. Claims of the wrong type are refused (401
 * INVALID_CLAIMS naming the claim); unknown role names are ignored, since providers add
 * their own (offline_access, uma_authorization…). Admin sees every symbol and shop.
 */
export function toPrincipal(payload: Record<string, unknown>, mapping: ClaimMapping): Principal {
  const sub = claimAt(payload, mapping.sub)
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) throw invalid(mapping.sub, 'a non-empty string of at most 256 characters')
  const jti = payload.jti
  if (jti !== undefined && (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)) throw invalid('jti', 'a non-empty string of at most 256 characters')
  const exp = payload.exp
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalid('exp', 'a number (seconds since the epoch)')
  const roles = new Set<Role>()
  for (const path of mapping.roles) {
    for (const name of stringList(payload, path)) {
      const role = Object.hasOwn(mapping.roleMap, name) ? mapping.roleMap[name] : name
      if (isRole(role)) roles.add(role)
    }
  }
  const admin = roles.has('admin')
  const symbols = stringList(payload, mapping.symbols)
  const shops = stringList(payload, mapping.shops)
  return {
    sub,
    roles,
    symbols: admin ? '*' : scopeOf(symbols),
    shops: admin ? '*' : scopeOf(shops),
    ...(jti === undefined ? {} : { jti }),
    expiresAtMs: exp * 1000,
  }
}
