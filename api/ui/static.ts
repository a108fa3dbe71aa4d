// The built UI (ui/dist, `npm run build`) at `/`: hashed assets cached for a year,
// index.html revalidated, any other non-API GET answered with index.html (client routes).
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve } from 'node:path'
import { Hono, type Context } from 'hono'
import { getMimeType } from 'hono/utils/mime'
import type { AppEnv } from '../http/middleware.ts'
import { encodedBody } from '../http/compression.ts'
import { bytesBody } from '../http/raw-body.ts'

/** Paths that belong to the API even when nothing answered them: they keep the JSON 404. */
const apiPrefixes = ['/api/', '/v1/', '/ws', '/metrics', '/health', '/ready']

const missingPage = `<!doctype html><meta charset="utf-8"><title>Livehouse: UI not built</title>
<body style="font:16px system-ui;max-width:40em;margin:4em auto"><h1>The UI is not built yet</h1>
<p>Run <code>npm run build</code> (or <code>npm start</code>, which builds it when missing), then reload.</p>
<p>The API is up: <a href="/health">/health</a>, <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></body>`

/**
 * Types worth compressing (text); images and fonts are compressed already. Not HTML: the CSP
 * middleware (api/http/csp.ts) reads each HTML answer and writes a fresh nonce into it, and
 * index.html is 1 KiB.
 */
const compressible = new Set(['.js', '.mjs', '.css', '.json', '.svg', '.map', '.txt', '.webmanifest'])

interface StaticFile {
  path: string
  body: Uint8Array
  /** Compressed bodies per encoding, made on first request at the highest effort: files are few and never change once built. */
  encoded: Map<string, Uint8Array>
  mtimeMs: number
  size: number
}

export function createStaticRoutes(o: { dir: string }): Hono<AppEnv> {
  const root = resolve(o.dir)
  const app = new Hono<AppEnv>()
  /** Files read, kept while their size and mtime hold (a rebuild replaces them). */
  const files = new Map<string, StaticFile>()
  const file = async (rel: string): Promise<StaticFile | undefined> => {
    const path = normalize(join(root, rel))
    if (!path.startsWith(root)) return undefined
    const s = await stat(path).catch(() => undefined)
    if (!s?.isFile()) return undefined
    const known = files.get(path)
    if (known && known.mtimeMs === s.mtimeMs && known.size === s.size) return known
    const f = { path, body: new Uint8Array(await readFile(path)), encoded: new Map(), mtimeMs: s.mtimeMs, size: s.size }
    files.set(path, f)
    return f
  }
  const send = (c: Context<AppEnv>, f: StaticFile, headers: Record<string, string>) => {
    if (!compressible.has(extname(f.path))) return bytesBody(c, f.body, 200, headers)
    const { bytes, headers: encoding } = encodedBody(f.body, c.req.header('accept-encoding'), f.encoded, 'once')
    return bytesBody(c, bytes, 200, { ...headers, ...encoding })
  }
  app.on(['GET', 'HEAD'], '*', async (c, next) => {
    const path = decodeURIComponent(c.req.path)
    if (apiPrefixes.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p))) return next()
    const index = await file('index.html')
    if (!index) return c.html(missingPage, 503, { 'retry-after': '10', 'cache-control': 'no-store' })
    const hit = path !== '/' ? await file(path) : undefined
    if (hit) {
      const immutable = path.startsWith('/assets/')
      return send(c, hit, {
        'content-type': getMimeType(hit.path) ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      })
    }
    // A missing asset is a 404, not the app: a stale index.html would otherwise load HTML as JS.
    if (extname(path) && !path.endsWith('.html')) return next()
    return send(c, index, { 'content-type': getMimeType(index.path)!, 'cache-control': 'no-cache' })
  })
  return app
}
