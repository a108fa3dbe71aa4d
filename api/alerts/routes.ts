// The alerts API under /api/v1/alerts (docs/api.md#alerts): rules CRUD, ack, snooze, mute,
// the history, and the SSE stream. Every route needs a token with trader or seller (the
// roles of the live channels rules watch; admin passes) and is rate-limited like every
// authenticated API (api/ratelimit/middleware.ts).
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import * as access from '../access.ts'
import type { Auth } from '../auth.ts'
import type { TokenWatch } from '../auth/token-watch.ts'
import { jsonBody, validJson } from '../http/json-body.ts'
import { authenticate, checkRole, type AppEnv } from '../http/middleware.ts'
import type { RateLimits } from '../ratelimit/middleware.ts'
import type { AlertBus } from './bus.ts'
import { invalid, zodIssues } from './rules.ts'
import { alertJson, ruleInputSchema, ruleJson, type Alert } from './schema.ts'
import type { Caller, RuleService } from './service.ts'
import { alertStream } from './sse.ts'
import type { RuleStore } from './store.ts'
import type { RecentAlerts } from './recent.ts'

export interface AlertRoutesOptions {
  auth: Auth
  /** Ends a stream when its token expires or is revoked (api/auth/token-watch.ts). */
  tokenWatch: TokenWatch
  /** Per address before authentication, per token after it. */
  limits?: RateLimits
  service: RuleService
  store: RuleStore
  recent: RecentAlerts
  bus: AlertBus
  mayReceive: Parameters<typeof alertStream>[0]['mayReceive']
  maxStreamsPerUser: number
  /** µs of overlap when resuming (gateway replicas' clocks differ); 0 on a single gateway. */
  resumeGraceUs: number
  maxBodyBytes?: number
  heartbeatMs?: number
  onStreams?(delta: number): void
  onError(error: unknown): void
}

const roles = access.surfaceRoles.alerts

const snoozeSchema = z.union([
  z.object({ until: z.union([z.iso.datetime({ offset: true }), z.number().int().positive(), z.null()]) }).strict(),
  z.object({ for_s: z.number().int().min(1).max(30 * 86_400) }).strict(),
])

const historySchema = z.object({
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
  rule: z.uuid().optional(),
  cursor: z.string().regex(/^\d{1,17}$/).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
}).strict()

const isoTime = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/

const timeParam = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined
  // Date.parse alone takes nearly anything (V8 reads "' OR 1=1" as a date).
  const ms = /^\d{1,15}$/.test(v) ? Number(v) : isoTime.test(v) ? Date.parse(v) : NaN
  if (!Number.isFinite(ms)) throw new AppError(400, 'INVALID_PARAMETER', `${name}: expected an ISO-8601 time or epoch milliseconds`, { details: { parameter: name } })
  return ms
}

export function createAlertRoutes(o: AlertRoutesOptions): Hono<AppEnv> & { closeStreams(): void } {
  const app = new Hono<AppEnv>()
  const streams = new Map<string, number>()
  const open = new Set<AbortController>()
  const maxBodyBytes = o.maxBodyBytes ?? 64 * 1024

  // The stream also takes `?access_token=`: EventSource cannot send headers.
  const authenticated = authenticate(o.auth, { queryToken: (c) => (c.req.path === '/api/v1/alerts/stream' ? c.req.query('access_token') : undefined) })
  const authorized: MiddlewareHandler<AppEnv> = (c, next) => authenticated(c, async () => {
    checkRole(c.get('principal'), roles)
    await next()
  })
  // limits.guard() would do, but it takes the token from the Authorization header only.
  const limits = o.limits
  app.use('/api/v1/alerts/*', !limits ? authorized : async (c, next) => {
    await limits.byIp(c, async () => {
      await authorized(c, async () => void (await limits.byToken(c, next)))
    })
  })
  /** The caller and when its (verified) token expires: a rule's access lasts as long. */
  const caller = (c: Context<AppEnv>): Caller => ({ principal: c.get('principal'), expiresAt: c.get('principal').expiresAtMs ?? 0 })

  const rule = [jsonBody(maxBodyBytes), validJson(ruleInputSchema, (issues) => invalid(zodIssues(issues)))] as const
  const snooze = [jsonBody(maxBodyBytes), validJson(snoozeSchema, () => invalid([{ path: 'until', message: 'send {"until": ISO time | epoch ms | null} or {"for_s": seconds}' }]))] as const

  app.get('/api/v1/alerts/rules', async (c) => c.json({ rules: (await o.service.list(c.get('principal').sub)).map(ruleJson) }))
  app.post('/api/v1/alerts/rules', ...rule, async (c) => c.json(ruleJson(await o.service.create(caller(c), c.req.valid('json'))), 201))
  app.get('/api/v1/alerts/rules/:id', async (c) => c.json(ruleJson(await o.service.get(c.get('principal').sub, c.req.param('id')))))
  app.put('/api/v1/alerts/rules/:id', ...rule, async (c) => c.json(ruleJson(await o.service.update(caller(c), c.req.param('id'), c.req.valid('json')))))
  app.delete('/api/v1/alerts/rules/:id', async (c) => (await o.service.remove(caller(c), c.req.param('id')), c.body(null, 204)))
  app.post('/api/v1/alerts/rules/:id/ack', async (c) => c.json(ruleJson(await o.service.patch(caller(c), c.req.param('id'), { ackedAt: Date.now() }))))
  app.post('/api/v1/alerts/rules/:id/mute', async (c) => c.json(ruleJson(await o.service.patch(caller(c), c.req.param('id'), { muted: true }))))
  app.post('/api/v1/alerts/rules/:id/unmute', async (c) => c.json(ruleJson(await o.service.patch(caller(c), c.req.param('id'), { muted: false }))))
  app.post('/api/v1/alerts/rules/:id/snooze', ...snooze, async (c) => {
    const b = c.req.valid('json')
    const until = 'for_s' in b ? Date.now() + b.for_s * 1000 : b.until === null ? 0 : typeof b.until === 'number' ? b.until : Date.parse(b.until)
    if (until !== 0 && (until <= Date.now() || until > Date.now() + 30 * 86_400_000)) throw invalid([{ path: 'until', message: 'must be in the next 30 days' }])
    return c.json(ruleJson(await o.service.patch(caller(c), c.req.param('id'), { snoozedUntil: until })))
  })

  app.get('/api/v1/alerts/history', async (c) => {
    const parsed = historySchema.safeParse(c.req.query())
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new AppError(400, 'INVALID_PARAMETER', `${issue.path.join('.') || 'query'}: ${issue.message}`, { details: { parameter: issue.path.join('.') } })
    }
    const q = parsed.data
    const p = c.get('principal')
    const [alerts, rules] = await Promise.all([
      o.store.history(p.sub, { fromMs: timeParam(q.from, 'from'), toMs: timeParam(q.to, 'to'), ruleId: q.rule, beforeSeq: q.cursor === undefined ? undefined : Number(q.cursor), limit: q.limit }),
      o.service.list(p.sub),
    ])
    const ackedAt = new Map(rules.map((r) => [r.id, r.ackedAt]))
    const shown = alerts.filter((a) => o.mayReceive(p, a))
    return c.json({
      alerts: shown.map((a: Alert) => ({ ...alertJson(a), acked: (ackedAt.get(a.ruleId) ?? 0) >= a.firedAt })),
      next_cursor: alerts.length === q.limit ? String(alerts[alerts.length - 1].seq) : null,
    })
  })

  app.get('/api/v1/alerts/stream', (c) => {
    const p = c.get('principal')
    const last = c.req.header('last-event-id') ?? c.req.query('last_event_id')
    if (last !== undefined && !/^\d{1,17}$/.test(last)) throw new AppError(400, 'INVALID_PARAMETER', 'Last-Event-ID: expected the id of an alert event', { details: { parameter: 'Last-Event-ID' } })
    const mine = streams.get(p.sub) ?? 0
    if (mine >= o.maxStreamsPerUser) throw new AppError(429, 'TOO_MANY_STREAMS', `at most ${o.maxStreamsPerUser} alert streams per user`, { retryAfterS: 5 })
    streams.set(p.sub, mine + 1)
    o.onStreams?.(1)
    let released = false
    // Ends the stream when the client goes away or the gateway stops (the client reconnects elsewhere and resumes).
    const ender = new AbortController()
    open.add(ender)
    const request = c.req.raw.signal
    if (request.aborted) ender.abort()
    else request.addEventListener('abort', () => ender.abort(), { once: true })
    // The token expires or is revoked: the stream ends (a reconnect with it is refused 401).
    const unwatch = o.tokenWatch.watch(p, () => ender.abort())
    const body = alertStream({
      principal: p, bus: o.bus, store: o.store, recent: o.recent, mayReceive: o.mayReceive, lastEventId: last === undefined ? undefined : Number(last),
      graceUs: o.resumeGraceUs, heartbeatMs: o.heartbeatMs ?? 15_000, maxBufferedBytes: 1024 * 1024, signal: ender.signal,
      onError: o.onError,
      onClose: () => {
        if (released) return
        released = true
        unwatch()
        open.delete(ender)
        o.onStreams?.(-1)
        const n = (streams.get(p.sub) ?? 1) - 1
        if (n > 0) streams.set(p.sub, n)
        else streams.delete(p.sub)
      },
    })
    return new Response(body, { headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' } })
  })
  return Object.assign(app, { closeStreams: () => [...open].forEach((e) => e.abort()) })
}
