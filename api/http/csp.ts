// Content-Security-Policy of the UI: only our own scripts (plus the inline theme script of
// index.html, by hash), styles (plus <style> elements carrying this answer's nonce), workers
// and same-origin connections (REST and the /ws socket).
import { createHash, randomBytes } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'

/**
 * Stands in index.html (`<meta name="csp-nonce" nonce="…">`) for the nonce each answer gets.
 * The code editor (CodeMirror) writes its styles into a <style> element: the page reads the
 * nonce from the meta element's `nonce` property (the browser hides the attribute) and gives it
 * to that element, so no inline style without it applies.
 */
export const noncePlaceholder = 'livehouse-csp-nonce'

/**
 * Origins besides our own the page talks to: an OpenID Connect provider (the UI fetches its
 * discovery document and token endpoint, and may renew in a hidden iframe of our own page
 * that the provider redirects back into).
 */
export interface PolicyOptions {
  identityProvider?: string
}

/** The policy for a page whose inline scripts hash to `scriptHashes` (base64 SHA-256). */
export function policyFor(scriptHashes: string[], styleNonce?: string, o: PolicyOptions = {}): string {
  const idp = o.identityProvider ? new URL(o.identityProvider).origin : undefined
  return [
    "default-src 'self'",
    `script-src 'self'${scriptHashes.map((h) => ` 'sha256-${h}'`).join('')}`,
    // No inline <style> but the nonce's; style="" attributes are allowed (Solid compiles constant
    // style objects into them, e.g. the dashboard grid), which needs an HTML injection to abuse.
    `style-src 'self'${styleNonce ? ` 'nonce-${styleNonce}'` : ''}`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self'${idp ? ` ${idp}` : ''}`,
    ...(idp ? [`frame-src 'self' ${idp}`] : []),
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    // Silent renewal loads our own page in an iframe of our own page; nothing else may frame it.
    idp ? "frame-ancestors 'self'" : "frame-ancestors 'none'",
  ].join('; ')
}

/** Base64 SHA-256 of every inline (src-less) <script> body, as CSP hashes them. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = []
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (/\bsrc\s*=/i.test(m[1])) continue
    hashes.push(createHash('sha256').update(m[2], 'utf8').digest('base64'))
  }
  return hashes
}

/**
 * Sets the policy on HTML answers, hashing their inline scripts (the built index.html
 * changes with every build; its hashes are computed once per distinct page). A page with the
 * nonce placeholder gets a fresh nonce per answer, in the page and in the policy.
 */
export function contentSecurityPolicy(o: PolicyOptions = {}): MiddlewareHandler {
  const byPage = new Map<string, string[]>()
  return async (c, next) => {
    await next()
    if (!c.res.headers.get('content-type')?.startsWith('text/html') || c.res.headers.has('content-security-policy')) return
    const html = await c.res.clone().text()
    let hashes = byPage.get(html)
    if (!hashes) {
      if (byPage.size > 16) byPage.clear()
      byPage.set(html, (hashes = inlineScriptHashes(html)))
    }
    const placeholder = `nonce="${noncePlaceholder}"`
    if (!html.includes(placeholder)) {
      c.res.headers.set('content-security-policy', policyFor(hashes, undefined, o))
      return
    }
    const nonce = randomBytes(18).toString('base64')
    const headers = new Headers(c.res.headers)
    headers.delete('content-length')
    headers.set('content-security-policy', policyFor(hashes, nonce, o))
    const { status, statusText } = c.res
    c.res = undefined
    c.res = new Response(c.req.method === 'HEAD' ? null : html.replaceAll(placeholder, `nonce="${nonce}"`), { status, statusText, headers })
  }
}
