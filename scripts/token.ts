// Mints a Livehouse token (HS256) from the configured secret: AUTH_SECRET, or in embedded
// mode the one the gateway keeps in DATA_DIR/auth-secret. For service accounts (ingest),
// scripts and deployments without an identity provider. docs/auth.md.
//
//   npm run token -- --role seller --shops shop-1 [--ttl 7d] [--sub alice] [--symbols A,B]
//
// Prints the token alone on stdout (so `TOKEN=$(npm run -s token -- …)` works) and what it
// holds on stderr.
import { parseArgs } from 'node:util'
import { decodeJwt } from 'jose'
import { createAuth, ttlSeconds } from '../api/auth.ts'
import { readSecret, secretFile } from '../api/auth/secret.ts'
import { loadConfig } from '../api/config.ts'
import { isRole, roles, type Role } from '../core/roles.ts'

const usage = `usage: npm run token -- --role <${roles.join('|')}>[,…] [--shops a,b|*] [--symbols A,B|*] [--sub <id>] [--ttl 30d]`

export interface TokenRequest {
  roles: Role[]
  sub: string
  symbols: string[]
  shops: string[]
  ttl: string
}

/** The command line as a request; throws an Error saying what is wrong. */
export function parseTokenArgs(args: string[]): TokenRequest {
  const { values } = parseArgs({
    args,
    options: { role: { type: 'string', multiple: true }, shops: { type: 'string' }, symbols: { type: 'string' }, sub: { type: 'string' }, ttl: { type: 'string' } },
    strict: true,
  })
  const list = (v?: string) => (v ?? '').split(',').map((x) => x.trim()).filter(Boolean)
  const wanted = (values.role ?? []).flatMap(list)
  if (!wanted.length) throw new Error(`--role is required\n${usage}`)
  const bad = wanted.filter((r) => !isRole(r))
  if (bad.length) throw new Error(`unknown role ${bad.join(', ')}: expected ${roles.join(', ')}`)
  const ttl = values.ttl ?? '30d'
  if (ttlSeconds(ttl) === undefined) throw new Error(`--ttl: expected a duration like 15m, 12h, 7d (at most 400d): ${ttl}`)
  const sub = values.sub ?? `cli-${wanted.join('-')}`
  if (!sub || sub.length > 256) throw new Error('--sub: 1 to 256 characters')
  return { roles: wanted as Role[], sub, symbols: list(values.symbols), shops: list(values.shops), ttl }
}

/** AUTH_SECRET, else the embedded secret in DATA_DIR; never a new one (its tokens would match no gateway). */
export function configuredSecret(env: Record<string, string | undefined>): string {
  const config = loadConfig(env)
  if (config.AUTH_SECRET) return config.AUTH_SECRET
  const kept = readSecret(secretFile(config.DATA_DIR))
  if (!kept) throw new Error(`no secret to sign with: set AUTH_SECRET, or start the gateway once in embedded mode so that ${secretFile(config.DATA_DIR)} exists (DATA_DIR=${config.DATA_DIR})`)
  return kept
}

export async function mintToken(req: TokenRequest, secret: string): Promise<string> {
  return createAuth(secret, { cacheEntries: 0 }).sign({ sub: req.sub, roles: req.roles, symbols: req.symbols, shops: req.shops }, req.ttl)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const req = parseTokenArgs(process.argv.slice(2))
    const token = await mintToken(req, configuredSecret(process.env))
    const c = decodeJwt(token)
    process.stderr.write(`sub=${c.sub} roles=${req.roles.join(',')} symbols=${req.symbols.join(',') || '(none)'} shops=${req.shops.join(',') || '(none)'} jti=${c.jti} expires=${new Date(Number(c.exp) * 1000).toISOString()}\n`)
    process.stdout.write(`${token}\n`)
  } catch (e) {
    process.stderr.write(`token: ${(e as Error).message}\n`)
    process.exit(2)
  }
}
