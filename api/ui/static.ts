// The built UI (ui/dist, `npm run build`) at `/`: hashed assets cached for a year,
// index.html revalidated, any other non-API GET answered with index.html (client routes).
// hono/serve-static does the serving (paths, traversal, MIME types, Accept-Encoding); we give
// it the files from memory and their compressed forms, made once per file at the highest effort.
// Measured (bench/results/2026-12-05-libs-static-serving.md): +15 to +60 µs per request over the
// hand-written server it replaced; kept, UI files are not a hot path (assets are cached a year).
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve } from 'node:path'
import { Hono, type Context } from 'hono'
import { serveStatic } from 'hono/serve-static'
import type { AppEnv } from '../http/middleware.ts'
import { compressBytes, minCompressBytes, pickEncoding, type Encoding } from '../http/compression.ts'

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

/** The suffixes serve-static asks for (`precompressed`): we make them, there are no such files. */
const suffixes: Record<string, Encoding> = { '.br': 'br', '.gz': 'gzip' }

interface StaticFile {
  body: Uint8Array
  /** Compressed bodies per encoding, made on first request: files are few and never change once built. */
  encoded: Map<Encoding, Uint8Array>
  mtimeMs: number
  size: number
}

const none = async () => {}

/**
 * The bytes as a one-chunk stream: a Response built from a Uint8Array copies it first (undici),
 * a whole bundle per request; the transport sends this chunk as it is (bench/compression/static-serving.ts).
 */
const once = (bytes: Uint8Array) => new ReadableStream<Uint8Array>({ start: (ctrl) => (ctrl.enqueue(bytes), ctrl.close()) })

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
    const f = { body: new Uint8Array(await readFile(path)), encoded: new Map(), mtimeMs: s.mtimeMs, size: s.size }
    files.set(path, f)
    return f
  }
  /**
   * serve-static's `getContent`: a file's bytes, or for `<file>.br` / `<file>.gz` its compressed
   * bytes when the client prefers that encoding (serve-static takes the first it accepts; we keep
   * the q order of pickEncoding) and the file is text and not tiny. A request naming `x.js.br`
   * itself gets nothing: compressed bytes come by negotiation only.
   */
  const getContent = async (path: string, c: Context<AppEnv>): Promise<ReadableStream<Uint8Array> | null> => {
    const suffix = extname(path)
    const encoding = suffixes[suffix]
    const requested = decodeURIComponent(c.req.path)
    if (!encoding || requested.endsWith(suffix)) {
      const f = await file(path)
      return f ? once(f.body) : null
    }
    const base = path.slice(0, -suffix.length)
    const f = compressible.has(extname(base)) ? await file(base) : undefined
    if (!f || f.body.length < minCompressBytes || pickEncoding(c.req.header('accept-encoding')) !== encoding) return null
    let bytes = f.encoded.get(encoding)
    if (!bytes) f.encoded.set(encoding, (bytes = compressBytes(f.body, encoding, 'once')))
    return once(bytes)
  }
  const headers = (cacheControl: (path: string) => string) => (path: string, c: Context<AppEnv>) => {
    c.header('cache-control', cacheControl(path))
    // A cache between us and the client keys on it, compressed or not (serve-static sets it only when it compressed).
    if (compressible.has(extname(path))) c.header('vary', 'accept-encoding')
  }
  const asset = serveStatic<AppEnv>({
    getContent, precompressed: true,
    onFound: headers((path) => (path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache')),
  })
  const index = serveStatic<AppEnv>({ path: 'index.html', getContent, onFound: headers(() => 'no-cache') })

  app.on(['GET', 'HEAD'], '*', async (c, next) => {
    const path = decodeURIComponent(c.req.path)
    if (apiPrefixes.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p))) return next()
    if (!(await file('index.html'))) return c.html(missingPage, 503, { 'retry-after': '10', 'cache-control': 'no-store' })
    // serve-static answers a Response when it found the file, and calls its `next` (here: none) when not.
    const found = path === '/' ? undefined : await asset(c, none)
    if (found) return found
    // A missing asset is a 404, not the app: a stale index.html would otherwise load HTML as JS.
    if (extname(path) && !path.endsWith('.html')) return next()
    return (await index(c, none)) ?? next()
  })
  return app
}
