// Tokens built by hand, so a test can sign any header and payload (ones no JWT library would
// build: alg none, a wrong alg, claims of the wrong type, a payload that is not an object).
import { createHmac } from 'node:crypto'

/** One part of a JWT: the base64url of a value's JSON, or of a Buffer's bytes as they are. */
export const jwtPart = (v: unknown) => (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v))).toString('base64url')

/** `header.payload` signed with HMAC-SHA256 under `key`, whatever the two hold. */
export function signHs256(key: string | Buffer, payload: unknown, header: object = { alg: 'HS256', typ: 'JWT' }) {
  const input = `${jwtPart(header)}.${jwtPart(payload)}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}
