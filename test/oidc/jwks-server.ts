// A JWKS endpoint for tests: real HTTP on a free port, keys the test can rotate, and a
// switch that makes it unreachable (connection refused) or failing (HTTP 500).
import { createServer, type Server } from 'node:http'
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose'

export interface TestKey {
  kid: string
  alg: 'RS256' | 'ES256'
  privateKey: CryptoKey
  publicJwk: JWK
}

export async function makeKey(alg: 'RS256' | 'ES256', kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } }
}

/** The issuer and audience the JWKS tests' verifiers are set up with. */
export const idpIssuer = 'https://idp.test/realms/livehouse'
export const idpAudience = 'livehouse-api'
/** Claims such a verifier accepts (alice, trader of BTC-USD, valid for 10 minutes), `extra` over them. */
export function idpClaims(extra: Record<string, unknown> = {}) {
  const nowS = Math.floor(Date.now() / 1000)
  return { iss: idpIssuer, aud: idpAudience, sub: 'alice', exp: nowS + 600, iat: nowS, roles: ['trader'], symbols: ['BTC-USD'], ...extra }
}

/** A token signed by `key` (header kid and alg from it unless `header` overrides). */
export function signWith(key: TestKey, payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey)
}

export interface JwksServer {
  url: string
  /** Keys served from now on. */
  serve(keys: TestKey[]): void
  /** 'up' serves the keys; 'error' answers 500; 'down' closes the port (connection refused). */
  setMode(mode: 'up' | 'error'): void
  down(): Promise<void>
  up(): Promise<void>
  requests(): number
  close(): Promise<void>
}

export async function startJwksServer(keys: TestKey[]): Promise<JwksServer> {
  let served = keys
  let mode: 'up' | 'error' = 'up'
  let count = 0
  let server: Server | undefined
  let port = 0
  const listen = () => new Promise<void>((resolve) => {
    server = createServer((req, res) => {
      count++
      if (mode === 'error') return void res.writeHead(500).end('down for maintenance')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served.map((k) => k.publicJwk) }))
    })
    server.listen(port, '127.0.0.1', () => {
      port = (server!.address() as { port: number }).port
      resolve()
    })
  })
  const stop = () => new Promise<void>((resolve) => {
    if (!server) return resolve()
    server.closeAllConnections()
    server.close(() => resolve())
    server = undefined
  })
  await listen()
  return {
    url: `http://127.0.0.1:${port}/jwks`,
    serve: (k) => (served = k),
    setMode: (m) => (mode = m),
    down: stop,
    up: listen,
    requests: () => count,
    close: stop,
  }
}
