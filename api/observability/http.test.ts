import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { createApp } from '../app.ts'
import { AppError } from '../../core/errors.ts'
import type { AppEnv } from '../http/middleware.ts'
import type { Logger } from '../log.ts'
import { createRequestObserver } from './http.ts'
import { createMetrics } from './metrics.ts'

function capture() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = []
  const at = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ level, msg, fields })
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log }
  return { log, lines }
}

function appWith(log: Logger) {
  const metrics = createMetrics({ defaults: false })
  const routes = new Hono<AppEnv>()
  routes.get('/items/:id', (c) => c.json({ id: c.req.param('id') }))
  routes.get('/boom', () => {
    throw new AppError(503, 'KAFKA_UNAVAILABLE', 'down', { retryAfterS: 2 })
  })
  return { metrics, app: createApp({ log, checks: [], routes: [routes], observe: createRequestObserver({ log, metrics }), metrics }) }
}

describe('request observer', () => {
  it('logs one JSON access line per request with its request id, at info (debug for probes and scrapes)', async () => {
    const { log, lines } = capture()
    const { app } = appWith(log)
    const res = await app.request('/items/42', { headers: { 'x-request-id': 'req-1' } })
    expect(res.headers.get('x-request-id')).toBe('req-1')
    await app.request('/health')
    await app.request('/metrics')
    const access = lines.filter((l) => l.msg === 'request')
    expect(access).toHaveLength(3)
    expect(access[0]).toMatchObject({ level: 'info', fields: { requestId: 'req-1', method: 'GET', path: '/items/42', route: '/items/:id', status: 200 } })
    expect(access[0].fields.durationMs).toBeTypeOf('number')
    expect(access[0].fields).not.toHaveProperty('traceId') // tracing off: no SDK registered
    expect(access[1]).toMatchObject({ level: 'debug', fields: { path: '/health', status: 200 } })
    expect(access[2]).toMatchObject({ level: 'debug', fields: { path: '/metrics', status: 200 } })
    expect(typeof access[1].fields.requestId).toBe('string')
  })

  it('labels latency by route pattern and status, errors and unknown paths included', async () => {
    const { log, lines } = capture()
    const { app, metrics } = appWith(log)
    for (const id of ['1', '2', '3']) await app.request(`/items/${id}`)
    const boom = await app.request('/boom')
    expect(boom.status).toBe(503)
    expect(boom.headers.get('retry-after')).toBe('2')
    await app.request('/nope/1')
    await app.request('/nope/2')
    const text = await metrics.render()
    expect(text).toContain('livehouse_http_request_duration_seconds_count{route="/items/:id",method="GET",status="200"} 3')
    expect(text).toContain('livehouse_http_request_duration_seconds_count{route="/boom",method="GET",status="503"} 1')
    expect(text).toContain('livehouse_http_request_duration_seconds_count{route="unmatched",method="GET",status="404"} 2')
    expect(text).not.toContain('/nope/')
    expect(lines.filter((l) => l.msg === 'request' && l.fields.status === 503)).toHaveLength(1)
  })
})
