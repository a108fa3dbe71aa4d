import { createLocalJWKSet, errors as joseErrors, importJWK, type JSONWebKeySet, type JWK, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose'
import { createPublicKey, type KeyObject } from 'node:crypto'
import { AppError } from '../../core/errors.ts'

/** An identity provider's signing keys, as jose's `jwtVerify` asks for them. */
export interface KeySource {
  getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey>
  /**
   * The key for `header` among those already fetched, synchronously (the WebSocket upgrade
   * cannot wait for a fetch); undefined when unknown, and then a fetch is started (within
   * the cooldown) so that a retry finds it. Several fitting keys: 401 UNKNOWN_SIGNING_KEY.
   */
  keySync(header: Record<string, unknown>): KeyObject | undefined
  /** Whether the last fetch failed (an unknown kid is then JWKS_UNAVAILABLE, not UNKNOWN_SIGNING_KEY). */
  failing(): boolean
  /** The key set currently in use (for /metrics-style inspection and tests). */
  state(): { keys: number; fetchedAtMs?: number; lastError?: string }
  close(): void
}

export interface JwksOptions {
  url: string
  /** Periodic refetch; a failed one keeps the keys already fetched. */
  refreshMs: number
  timeoutMs: number
  /** Least time between two fetches caused by unknown kids: random kids must not make us hammer the provider. */
  cooldownMs?: number
  /** A JWKS larger than this is refused (a few keys are a few kB). */
  maxBytes?: number
  fetch?: typeof globalThis.fetch
  now?: () => number
  onError?: (error: Error) => void
}

/**
 * Keys from a JWKS URL, kept in memory: jose's local key set does the selection (kid, alg,
 * use, key type), this wrapper the fetching. jose's own remote set refetches once its cache
 * is stale and then fails every token while the provider is down; here the last good set
 * stays in use until a fetch replaces it, and only an unknown kid waits for a fetch.
 */
export function createJwksSource(o: JwksOptions): KeySource {
  const now = o.now ?? Date.now
  const doFetch = o.fetch ?? globalThis.fetch
  const cooldownMs = o.cooldownMs ?? 30_000
  const maxBytes = o.maxBytes ?? 512 * 1024
  let local: ReturnType<typeof createLocalJWKSet> | undefined
  let keyObjects: { jwk: JWK; key: KeyObject }[] = []
  let keyCount = 0
  let fetchedAtMs: number | undefined
  let lastAttemptMs = -Infinity
  let lastError: Error | undefined
  let inflight: Promise<void> | undefined

  const load = async (): Promise<void> => {
    lastAttemptMs = now()
    try {
      const res = await doFetch(o.url, { signal: AbortSignal.timeout(o.timeoutMs), headers: { accept: 'application/json' }, redirect: 'error' })
      if (!res.ok) throw new Error(`JWKS ${o.url} answered ${res.status}`)
      const text = await readCapped(res, maxBytes)
      const keys = await usableKeys(JSON.parse(text))
      const objects = keys.map((jwk) => ({ jwk, key: createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }) }))
      local = createLocalJWKSet({ keys }) // only once the set is known good: a bad one keeps the old
      keyObjects = objects
      keyCount = keys.length
      fetchedAtMs = now()
      lastError = undefined
    } catch (e) {
      lastError = e instanceof Error ? e : new Error(String(e))
      o.onError?.(lastError)
    }
  }
  const refresh = () => (inflight ??= load().finally(() => (inflight = undefined)))
  void refresh()
  const timer = setInterval(() => void refresh(), o.refreshMs)
  timer.unref()

  const unavailable = () => new AppError(503, 'JWKS_UNAVAILABLE', 'the identity provider\'s signing keys cannot be fetched; try again later', { retryAfterS: Math.ceil(cooldownMs / 1000) })
  const unknownKey = () => new AppError(401, 'UNKNOWN_SIGNING_KEY', 'the token is signed with a key the identity provider does not publish')

  const select = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey | undefined> => {
    if (!local) return undefined
    try {
      return await local(header, token)
    } catch (e) {
      if (e instanceof joseErrors.JWKSNoMatchingKey) return undefined
      if (e instanceof joseErrors.JWKSMultipleMatchingKeys) throw new AppError(401, 'UNKNOWN_SIGNING_KEY', 'the token names no kid and several keys would fit', { cause: e })
      throw e
    }
  }

  return {
    async getKey(header, token) {
      if (!local && inflight) await inflight // the first fetch; later ones never hold a request up
      const known = await select(header, token)
      if (known) return known
      // An unknown kid (or no keys yet): fetch again, at most once per cooldown.
      if (now() - lastAttemptMs >= cooldownMs) await refresh()
      const fresh = await select(header, token)
      if (fresh) return fresh
      throw lastError || !local ? unavailable() : unknownKey()
    },
    keySync(header) {
      const fitting = keyObjects.filter((k) => fits(k.jwk, header.alg, header.kid))
      if (fitting.length > 1) throw new AppError(401, 'UNKNOWN_SIGNING_KEY', 'the token names no kid and several keys would fit')
      if (fitting.length === 0 && now() - lastAttemptMs >= cooldownMs) void refresh()
      return fitting[0]?.key
    },
    failing: () => !!lastError || !local,
    state: () => ({ keys: keyCount, fetchedAtMs, lastError: lastError?.message }),
    close: () => clearInterval(timer),
  }
}

const families: Record<string, { kty: string; crv?: string }> = { RS256: { kty: 'RSA' }, PS256: { kty: 'RSA' }, ES256: { kty: 'EC', crv: 'P-256' } }

/** jose's rule for a key of a set fitting a token (kid, alg, use, key_ops, type and curve), for the synchronous path. */
function fits(jwk: JWK, alg: unknown, kid: unknown): boolean {
  const family = typeof alg === 'string' && Object.hasOwn(families, alg) ? families[alg] : undefined
  if (!family || jwk.kty !== family.kty || (family.crv && jwk.crv !== family.crv)) return false
  if (kid !== undefined && (typeof kid !== 'string' || jwk.kid !== kid)) return false
  if (jwk.alg !== undefined && jwk.alg !== alg) return false
  if (jwk.use !== undefined && jwk.use !== 'sig') return false
  return jwk.key_ops === undefined || (Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))
}

const defaultAlg: Record<string, string | undefined> = { RSA: 'RS256', 'EC:P-256': 'ES256', 'EC:P-384': 'ES384', 'OKP:Ed25519': 'EdDSA' }

/**
 * The set's public signing keys that import. Keys for other uses (encryption) or of kinds
 * we cannot use are left out; a set with none left is an error, and the old set stays.
 */
async function usableKeys(body: unknown): Promise<JWK[]> {
  const keys = (body as JSONWebKeySet | null)?.keys
  if (!Array.isArray(keys)) throw new Error('JWKS: no keys array')
  const usable: JWK[] = []
  for (const jwk of keys as JWK[]) {
    if (!jwk || typeof jwk !== 'object' || jwk.use === 'enc' || 'd' in jwk) continue
    const alg = jwk.alg ?? defaultAlg[jwk.crv ? `${jwk.kty}:${jwk.crv}` : String(jwk.kty)]
    if (!alg) continue
    try {
      const key = await importJWK(jwk, alg)
      if ((key as CryptoKey).type === 'public') usable.push(jwk)
    } catch { /* malformed key material: left out */ }
  }
  if (!usable.length) throw new Error(`JWKS: none of its ${keys.length} keys is a usable public signing key`)
  return usable
}

async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? 0)
  if (declared > maxBytes) throw new Error(`JWKS larger than ${maxBytes} bytes`)
  const reader = res.body?.getReader()
  if (!reader) return ''
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel()
      throw new Error(`JWKS larger than ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}
