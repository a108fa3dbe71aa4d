import { Hono, type MiddlewareHandler } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import { contentSecurityPolicy, type PolicyOptions } from './http/csp.ts'
import { AppError } from '../core/errors.ts'
import type { AppEnv } from './http/middleware.ts'
import type { Logger } from './log.ts'

export interface ReadinessCheck {
  name: string
  check(): Promise<{ ok: boolean; detail?: string }>
}

export interface AppOptions {
  log: Logger
  checks: ReadinessCheck[]
  /** Sub-apps mounted at the root, in order (ingest, api, …). */
  routes: Hono<AppEnv>[]
  /** Runs right after the request id is set: tracing span, latency metric, access log (api/observability/http.ts). */
  observe?: MiddlewareHandler<AppEnv>
  /** Serves GET /metrics (Prometheus text). */
  metrics?: { contentType: string; render(): Promise<string> }
  /** Origins the UI's Content-Security-Policy must also allow (the OpenID Connect provider). */
  csp?: PolicyOptions
}

/** The Hono app behind every HTTP route: one error handler, request ids, health and readiness. */
export function createApp(options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.use('*', async (c, next) => {
    const requestId = c.req.header('x-request-id')?.slice(0, 64) || crypto.randomUUID()
    c.set('requestId', requestId)
    c.header('X-Request-Id', requestId)
    await next()
  })
  app.use('*', async (c, next) => {
    if (!decodable(c.req.url)) throw new AppError(400, 'MALFORMED_URL', 'the URL has malformed percent-encoding')
    await next()
  })
  if (options.observe) app.use('*', options.observe)
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'cross-origin' }))
  app.use('*', contentSecurityPolicy(options.csp))
  app.onError((err, c) => {
    const known = err instanceof AppError ? err : undefined
    const error = known ?? new AppError(500, 'INTERNAL', 'internal error', { cause: err })
    if (error.status >= 500) {
      options.log.error('request failed', { requestId: c.get('requestId'), path: c.req.path, code: error.code, cause: error.cause ?? err })
    }
    if (error.retryAfterS !== undefined) c.header('Retry-After', String(error.retryAfterS))
    return c.json(error.toBody(), error.status)
  })
  app.notFound((c) => c.json(new AppError(404, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`).toBody(), 404))

  app.get('/health', (c) => c.json({ status: 'ok' }))
  const metrics = options.metrics
  if (metrics) app.get('/metrics', async (c) => c.body(await metrics.render(), 200, { 'content-type': metrics.contentType }))
  app.get('/ready', async (c) => {
    const results = await Promise.all(
      options.checks.map(async (ch) => {
        const r = await withTimeout(ch.check(), 3000).catch((e: Error) => ({ ok: false, detail: e.message }))
        return [ch.name, r] as const
      }),
    )
    const ok = results.every(([, r]) => r.ok)
    return c.json({ status: ok ? 'ready' : 'not_ready', checks: Object.fromEntries(results) }, ok ? 200 : 503)
  })
  for (const routes of options.routes) app.route('/', routes)
  return app
}

/** Whether the path and query decode: `/%` or `%FF` made route code throw (500). */
function decodable(url: string): boolean {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  const target = start < 0 ? '' : url.slice(start)
  if (!target.includes('%')) return true
  try {
    decodeURIComponent(target.replace(/\+/g, ' '))
    return true
  } catch {
    return false
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())])
}
