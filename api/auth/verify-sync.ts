// The same JWT check as jose's jwtVerify, synchronously, for callers that cannot await: the
// live gateway decides a WebSocket upgrade inside uWS's callback. jose has no synchronous
// API, so this uses node:crypto for the signature and mirrors jose's claim rules; a
// differential test (verify-sync.test.ts) runs every valid and hostile token of the suite
// through both and requires the same answer. Keys come from what is already in memory.
import { createHmac, timingSafeEqual, verify as cryptoVerify, constants, type KeyObject } from 'node:crypto'
import { AppError } from '../../core/errors.ts'

export interface SyncCheck {
  algorithm: string
  /** HS256: the secret's bytes. Others: the public key. */
  key: Uint8Array | KeyObject
  issuer?: string
  audience?: string[]
  clockToleranceS: number
  nowMs: number
}

// jose's decoder takes base64url with optional padding; so does this (a stricter one would refuse what verify accepts).
const b64url = /^[A-Za-z0-9_-]*={0,2}$/

const invalidToken = (message = 'the token is not valid', details?: Record<string, unknown>) => new AppError(401, 'INVALID_TOKEN', message, details ? { details } : {})
const badClaim = (claim: string) => new AppError(401, 'INVALID_CLAIMS', `the token's ${claim} claim is not accepted here`, { details: { claim } })

function decodePart(part: string): Record<string, unknown> {
  if (!b64url.test(part)) throw invalidToken('the token is not a JWT')
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(part, 'base64url')))
  } catch {
    throw invalidToken('the token is not a JWT')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidToken('the token is not a JWT')
  return value as Record<string, unknown>
}

/** The protected header of a compact JWS (no verification). */
export function headerOf(token: string): Record<string, unknown> {
  const parts = token.split('.')
  if (parts.length !== 3) throw invalidToken('the token is not a JWT')
  return decodePart(parts[0])
}

/** Whether `key` may carry `alg` (jose refuses the same: wrong key type, RSA under 2048 bits, EC on another curve). */
function keyFits(alg: string, key: KeyObject): boolean {
  const d = key.asymmetricKeyDetails
  if (alg === 'RS256' || alg === 'PS256') return key.asymmetricKeyType === 'rsa' && (d?.modulusLength ?? 0) >= 2048
  if (alg === 'ES256') return key.asymmetricKeyType === 'ec' && d?.namedCurve === 'prime256v1'
  return false
}

function signatureValid(alg: string, key: Uint8Array | KeyObject, input: Buffer, signature: Buffer): boolean {
  if (alg === 'HS256') {
    if (!(key instanceof Uint8Array)) return false
    const expected = createHmac('sha256', key).update(input).digest()
    return expected.length === signature.length && timingSafeEqual(expected, signature)
  }
  if (key instanceof Uint8Array || !keyFits(alg, key)) return false
  try {
    if (alg === 'RS256') return cryptoVerify('sha256', input, key, signature)
    if (alg === 'PS256') return cryptoVerify('sha256', input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
    if (alg === 'ES256') return signature.length === 64 && cryptoVerify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature)
  } catch {
    return false
  }
  return false
}

/**
 * jose's `crit` rules: absent, or a non-empty list of distinct known extensions present in
 * the header; the only one known is `b64`, which a JWT must leave true.
 */
function checkCrit(header: Record<string, unknown>): void {
  const crit = header.crit
  if (crit === undefined) return
  if (!Array.isArray(crit) || crit.length === 0 || new Set(crit).size !== crit.length || crit.some((c) => c !== 'b64')) throw invalidToken()
  if (header.b64 !== true) throw invalidToken()
}

/** The verified payload; throws the AppError jose's path would map to. */
export function verifyCompactSync(token: string, check: SyncCheck): Record<string, unknown> {
  const parts = token.split('.')
  if (parts.length !== 3) throw invalidToken('the token is not a JWT')
  const header = decodePart(parts[0])
  if (header.alg !== check.algorithm) throw invalidToken('the token\'s algorithm is not accepted here', { reason: 'algorithm' })
  checkCrit(header)
  if (!b64url.test(parts[2])) throw invalidToken()
  if (!signatureValid(check.algorithm, check.key, Buffer.from(`${parts[0]}.${parts[1]}`), Buffer.from(parts[2], 'base64url'))) throw invalidToken()
  const payload = decodePart(parts[1])
  checkClaims(payload, check)
  return payload
}

/** jose's claim rules: presence, then iss and aud, then the times with the tolerance. */
function checkClaims(p: Record<string, unknown>, c: SyncCheck): void {
  const required = ['exp', ...(c.audience ? ['aud'] : []), ...(c.issuer !== undefined ? ['iss'] : [])].reverse()
  for (const claim of required) if (!Object.hasOwn(p, claim)) throw badClaim(claim)
  if (c.issuer !== undefined && p.iss !== c.issuer) throw badClaim('iss')
  if (c.audience) {
    const aud = p.aud
    const ok = typeof aud === 'string' ? c.audience.includes(aud) : Array.isArray(aud) && c.audience.some((a) => aud.includes(a))
    if (!ok) throw badClaim('aud')
  }
  const nowS = Math.floor(c.nowMs / 1000)
  const tolerance = c.clockToleranceS
  const numeric = (claim: string) => {
    if (p[claim] !== undefined && typeof p[claim] !== 'number') throw badClaim(claim)
  }
  numeric('iat')
  numeric('nbf')
  if (typeof p.nbf === 'number' && p.nbf > nowS + tolerance) throw new AppError(401, 'TOKEN_NOT_YET_VALID', 'the token is not valid yet: check the clocks', { details: { claim: 'nbf' } })
  numeric('exp')
  if ((p.exp as number) <= nowS - tolerance) throw new AppError(401, 'TOKEN_EXPIRED', 'the token has expired')
}
