import { afterAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { Hono } from 'hono'
import { contentSecurityPolicy, noncePlaceholder } from '../http/csp.ts'
import { createStaticRoutes } from './static.ts'

const dir = mkdtempSync(join(tmpdir(), 'livehouse-static-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
mkdirSync(join(dir, 'assets'))
const js = `export const rows = ${JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ i, label: `row ${i}` })))}\n`
writeFileSync(join(dir, 'index.html'), `<!doctype html><title>x</title><meta name="csp-nonce" nonce="${noncePlaceholder}"><script>document.documentElement.dataset.theme = 'dark'</script>${'<div class="panel"></div>'.repeat(100)}`)
writeFileSync(join(dir, 'assets', 'app-abc.js'), js)
writeFileSync(join(dir, 'assets', 'logo.png'), Buffer.alloc(4096, 7))
const app = createStaticRoutes({ dir })
const get = async (path: string, acceptEncoding?: string) => {
  const res = await app.request(path, { headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} })
  return { res, body: Buffer.from(await res.arrayBuffer()) }
}

describe('UI files compressed when the client accepts it', () => {
  it('serves a script as br or gzip, the same bytes once decoded, and as is without Accept-Encoding', async () => {
    const br = await get('/assets/app-abc.js', 'gzip, deflate, br')
    expect(br.res.headers.get('content-encoding')).toBe('br')
    expect(br.res.headers.get('vary')).toBe('accept-encoding')
    expect(br.res.headers.get('content-type')).toMatch(/javascript/)
    expect(brotliDecompressSync(br.body).toString()).toBe(js)
    expect(br.body.length).toBeLessThan(js.length / 3)
    const gz = await get('/assets/app-abc.js', 'gzip')
    expect(gz.res.headers.get('content-encoding')).toBe('gzip')
    expect(gunzipSync(gz.body).toString()).toBe(js)
    const plain = await get('/assets/app-abc.js')
    expect(plain.res.headers.get('content-encoding')).toBeNull()
    expect(plain.body.toString()).toBe(js)
  })

  it('leaves HTML (the CSP middleware writes a nonce into it) and images as they are, and re-reads a rebuilt file', async () => {
    const page = await get('/some/client/route', 'br')
    expect(page.res.headers.get('content-encoding')).toBeNull()
    expect(page.body.toString()).toMatch(/^<!doctype html>/)
    const png = await get('/assets/logo.png', 'br')
    expect(png.res.headers.get('content-encoding')).toBeNull()
    expect(png.body.length).toBe(4096)
    const rebuilt = `${js}// rebuilt, longer\n`
    writeFileSync(join(dir, 'assets', 'app-abc.js'), rebuilt)
    expect(brotliDecompressSync((await get('/assets/app-abc.js', 'br')).body).toString()).toBe(rebuilt)
  })

  it('HTML still gets its per-answer CSP nonce when the client accepts br (a compressed page would hide it)', async () => {
    const withCsp = new Hono()
    withCsp.use('*', contentSecurityPolicy())
    withCsp.route('/', createStaticRoutes({ dir }))
    const res = await withCsp.request('/', { headers: { 'accept-encoding': 'gzip, deflate, br' } })
    const html = await res.text()
    const nonce = /nonce="([^"]+)"/.exec(html)?.[1]
    expect(nonce).toBeDefined()
    expect(nonce).not.toBe(noncePlaceholder)
    expect(res.headers.get('content-security-policy')).toContain(`'nonce-${nonce}'`)
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-/)
  })
})

describe('UI files: caching, client routes, what is not a UI file', () => {
  it('caches hashed assets for a year and revalidates the rest; a client route is index.html, a missing asset a 404', async () => {
    const asset = await get('/assets/app-abc.js')
    expect([asset.res.status, asset.res.headers.get('cache-control')]).toEqual([200, 'public, max-age=31536000, immutable'])
    for (const path of ['/', '/index.html', '/dashboards/42', '/alerts']) {
      const page = await get(path)
      expect([path, page.res.status, page.res.headers.get('cache-control'), page.res.headers.get('content-type')]).toEqual([path, 200, 'no-cache', expect.stringMatching(/^text\/html/)])
      expect(page.body.toString()).toMatch(/^<!doctype html>/)
    }
    expect((await get('/assets/gone-123.js')).res.status).toBe(404)
    expect((await get('/assets/app-abc.js.br')).res.status).toBe(404) // compressed bytes only by negotiation
  })

  it('leaves API paths to the API, and never serves a file outside the UI directory', async () => {
    for (const path of ['/api/v1/nope', '/v1/events/x', '/ws', '/metrics', '/health', '/ready']) expect([path, (await get(path)).res.status]).toEqual([path, 404])
    writeFileSync(join(dir, '..', 'livehouse-static-secret.txt'), 'secret')
    for (const path of ['/../livehouse-static-secret.txt', '/assets/..%2f..%2flivehouse-static-secret.txt', '/%2e%2e/livehouse-static-secret.txt']) {
      const r = await get(path)
      expect([path, r.body.toString().includes('secret') && !r.body.toString().startsWith('<!doctype')]).toEqual([path, false])
    }
    rmSync(join(dir, '..', 'livehouse-static-secret.txt'))
  })

  it("follows the client's preference (q), compresses nothing small, and always says Vary", async () => {
    expect((await get('/assets/app-abc.js', 'br;q=0.5, gzip')).res.headers.get('content-encoding')).toBe('gzip')
    expect((await get('/assets/app-abc.js', 'br;q=0, gzip;q=0')).res.headers.get('content-encoding')).toBeNull()
    writeFileSync(join(dir, 'assets', 'tiny.css'), 'a{color:red}')
    const tiny = await get('/assets/tiny.css', 'br')
    expect([tiny.res.headers.get('content-encoding'), tiny.res.headers.get('vary'), tiny.body.toString()]).toEqual([null, 'accept-encoding', 'a{color:red}'])
    const head = await app.request('/assets/app-abc.js', { method: 'HEAD', headers: { 'accept-encoding': 'br' } })
    expect([head.status, head.headers.get('content-encoding')]).toEqual([200, 'br'])
  })

  it('answers 503 with a page saying how to build the UI when it is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'livehouse-static-empty-'))
    try {
      const r = await createStaticRoutes({ dir: empty }).request('/')
      expect([r.status, r.headers.get('retry-after'), (await r.text()).includes('npm run build')]).toEqual([503, '10', true])
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })
})
