import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { replaceKeptFile } from '../kept-file.ts'

/** Where embedded mode keeps its generated HS256 secret. */
export const secretFile = (dataDir: string) => join(dataDir, 'auth-secret')

export const generateSecret = () => randomBytes(32).toString('base64url')

/**
 * The embedded secret: read from DATA_DIR, or generated and written there once, so tokens
 * survive restarts. Written to a temporary file and renamed, readable by the owner only:
 * a crash mid-write must not leave a truncated secret that would refuse every token.
 */
export function loadOrCreateSecret(dataDir: string): { secret: string; created: boolean } {
  const file = secretFile(dataDir)
  const existing = readSecret(file)
  if (existing) return { secret: existing, created: false }
  mkdirSync(dataDir, { recursive: true })
  const secret = generateSecret()
  replaceKeptFile(file, `${secret}\n`, 0o600)
  return { secret, created: true }
}

/** The kept secret, or undefined when there is none yet. A file holding too little is an error, not a reason to replace it. */
export function readSecret(file: string): string | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
  const secret = text.trim()
  if (secret.length < 32) throw new Error(`${file}: holds no usable secret (delete it to generate a new one; every token signed with the old one stops working)`)
  return secret
}
