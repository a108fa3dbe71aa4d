// Content-Security-Policy of the UI: only our own scripts (plus the inline theme script of
// index.html, by hash), styles, workers and same-origin connections (REST and the /ws socket).
import { createHash } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'

/**
 * Origins besides our own the page talks to: an OpenID Connect provider (the UI fetches its
 * discovery document and token endpoint, and may renew in a hidden iframe of our own page
 * that the provider redirects back into).
 */
export interface PolicyOptions {
  identityProvider?: string
}

/** The policy for a page whose inline scripts hash to `scriptHashes` (base64 SHA-256). */
export function policyFor(scriptHashes: string[], o: PolicyOptions = {}): string {
  const idp = o.identityProvider ? new URL(o.identityProvider).origin : undefined
  return [
    "default-src 'self'",
    `script-src 'self'${scriptHashes.map((h) => ` 'sha256-${h}'`).join('')}`,
    // No inline <style>; style="" attributes are allowed (Solid compiles constant style
    // objects into them, e.g. the dashboard grid), which needs an HTML injection to abuse.
    "style-src 'self'",
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
 * changes with every build; its policy is computed once per distinct page).
 */
export function contentSecurityPolicy(o: PolicyOptions = {}): MiddlewareHandler {
  const byPage = new Map<string, string>()
  return async (c, next) => {
    await next()
    if (!c.res.headers.get('content-type')?.startsWith('text/html') || c.res.headers.has('content-security-policy')) return
    const html = await c.res.clone().text()
    let policy = byPage.get(html)
    if (!policy) {
      if (byPage.size > 16) byPage.clear()
      byPage.set(html, (policy = policyFor(inlineScriptHashes(html), o)))
    }
    c.res.headers.set('content-security-policy', policy)
  }
}
