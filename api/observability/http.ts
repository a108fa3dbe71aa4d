import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import type { MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import type { AppEnv } from '../http/middleware.ts'
import type { Logger } from '../log.ts'
import type { Metrics } from './metrics.ts'
import { tracer } from '../../core/tracing.ts'

export interface RequestObserverOptions {
  log: Logger
  metrics?: Metrics
}

/** Paths logged at debug instead of info: probes and scrapes. */
const quietPaths = new Set(['/health', '/ready', '/metrics'])

/**
 * One middleware per request, after the request id: a SERVER span that every span of
 * the request descends from, the latency histogram by route pattern (never the raw
 * path: bounded label values), and one JSON access-log line.
 */
export function createRequestObserver(options: RequestObserverOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now()
    const method = c.req.method
    await tracer.startActiveSpan(`${method} ${c.req.path}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': c.req.path } }, async (span) => {
      try {
        await next()
      } finally {
        const status = c.res.status
        const pattern = routePath(c)
        // A catch-all ('*': the UI's static files and client routes) is one label; a 404 from it is 'unmatched'.
        const route = pattern === '*' || pattern === '/*' ? (status === 404 ? 'unmatched' : 'static') : pattern
        const seconds = (performance.now() - started) / 1000
        span.updateName(`${method} ${route}`)
        span.setAttributes({ 'http.route': route, 'http.response.status_code': status, 'livehouse.request_id': c.get('requestId') })
        if (c.error) span.recordException(c.error)
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
        span.end()
        options.metrics?.httpDuration.observe({ route, method, status: String(status) }, seconds)
        const traceId = span.spanContext().traceId
        const fields = {
          requestId: c.get('requestId'), method, path: c.req.path, route, status, durationMs: Math.round(seconds * 1e4) / 10,
          ...(trace.isSpanContextValid(span.spanContext()) ? { traceId } : {}),
        }
        ;(quietPaths.has(c.req.path) ? options.log.debug : options.log.info)('request', fields)
      }
    })
  }
}
