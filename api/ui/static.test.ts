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
