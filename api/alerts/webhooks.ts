// Webhook delivery of fired alerts: a Slack-compatible JSON body (`text`, plus the alert),
// an HMAC-SHA256 signature header, a timeout per attempt, retries with exponential backoff.
// Evaluation only queues (bounded); a slow or failing receiver never holds it up. Each
// attempt resolves and checks the target (ssrf.ts) and connects to exactly the checked address.
import { createHmac } from 'node:crypto'
import http, { type ClientRequest } from 'node:http'
import https from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import type { Logger } from '../log.ts'
import { alertJson, type Alert, type Notify, type Rule } from './schema.ts'
import { resolveTarget, TargetRefused, type AddressPolicy, type Target } from './ssrf.ts'

export type WebhookOutcome = 'ok' | 'retry' | 'failed' | 'refused' | 'dropped'

export interface WebhookOptions {
  policy: AddressPolicy
  log: Logger
  timeoutMs: number
  maxAttempts: number
  /** First retry after this long, doubling (± 20 % jitter). */
  backoffMs: number
  /** Deliveries waiting (queued, waiting to retry, in flight) at most; more are dropped. */
  maxQueue: number
  concurrency: number
  onOutcome?(outcome: WebhookOutcome): void
}

export interface Webhooks {
  enqueue(alert: Alert, rule: Rule): void
  pending(): number
  stop(): Promise<void>
}

interface Job {
  alert: Alert
  ruleName: string
  notify: Required<Notify>
  attempt: number
}

export const signatureHeader = 'x-livehouse-signature'

/** `t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: receivers recompute it and reject old `t` (replays). */
export function sign(secret: string, body: string, unixS: number): string {
  return `t=${unixS},v1=${createHmac('sha256', secret).update(`${unixS}.${body}`).digest('hex')}`
}

/** The body: Slack's incoming-webhook `text`, and the alert for everyone else. */
export function webhookBody(alert: Alert, ruleName: string): string {
  const c = alert.condition
  const what = Object.entries({ ...alert.params, ...alert.entity }).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' ')
  const text = `Alert "${ruleName}": ${alert.channel} ${what} ${c.column} ${c.op} ${c.value}${c.window_s ? ` over ${c.window_s}s` : ''} (value ${alert.value}) at ${new Date(alert.firedAt).toISOString()}`
  return JSON.stringify({ text, alert: alertJson(alert) })
}

export function createWebhooks(o: WebhookOptions): Webhooks {
  const ready: Job[] = []
  const timers = new Set<NodeJS.Timeout>()
  let waiting = 0
  let inFlight = 0
  const flights = new Set<Promise<void>>()
  const requests = new Set<ClientRequest>()
  let stopped = false

  function pump() {
    while (!stopped && inFlight < o.concurrency && ready.length) {
      const job = ready.shift()!
      inFlight++
      const flight = attempt(job).finally(() => {
        inFlight--
        flights.delete(flight)
        pump()
      })
      flights.add(flight)
    }
  }

  async function attempt(job: Job) {
    job.attempt++
    try {
      const target = await resolveTarget(job.notify.url, o.policy)
      const body = webhookBody(job.alert, job.ruleName)
      const status = await post(target, body, {
        'content-type': 'application/json',
        'user-agent': 'livehouse-alerts/1',
        'x-livehouse-alert-id': job.alert.id,
        [signatureHeader]: sign(job.notify.secret, body, Math.floor(Date.now() / 1000)),
      }, o.timeoutMs, requests)
      if (status >= 200 && status < 300) return done(job, 'ok')
      // 4xx other than 429: the receiver will not change its mind.
      if (status < 500 && status !== 429) return done(job, 'failed', `HTTP ${status}`)
      retryOrFail(job, `HTTP ${status}`)
    } catch (e) {
      if (e instanceof TargetRefused) return done(job, 'refused', e.message)
      retryOrFail(job, (e as Error).message)
    }
  }

  function retryOrFail(job: Job, why: string) {
    if (stopped || job.attempt >= o.maxAttempts) return done(job, 'failed', why)
    o.onOutcome?.('retry')
    const delay = o.backoffMs * 2 ** (job.attempt - 1) * (0.8 + Math.random() * 0.4)
    const timer = setTimeout(() => {
      timers.delete(timer)
      ready.push(job)
      pump()
    }, delay)
    timer.unref()
    timers.add(timer)
  }

  function done(job: Job, outcome: WebhookOutcome, why?: string) {
    waiting--
    o.onOutcome?.(outcome)
    if (outcome !== 'ok') o.log.warn('alert webhook not delivered', { rule: job.alert.ruleId, alert: job.alert.id, outcome, attempts: job.attempt, why })
  }

  return {
    enqueue(alert, rule) {
      for (const notify of rule.notify) {
        if (stopped || waiting >= o.maxQueue) {
          o.onOutcome?.('dropped')
          o.log.warn('alert webhook dropped: the delivery queue is full', { rule: rule.id, alert: alert.id, maxQueue: o.maxQueue })
          continue
        }
        waiting++
        ready.push({ alert, ruleName: rule.name, notify, attempt: 0 })
      }
      pump()
    },
    pending: () => waiting,
    async stop() {
      stopped = true
      for (const t of timers) clearTimeout(t)
      timers.clear()
      for (const r of requests) r.destroy(new Error('stopping'))
      await Promise.allSettled([...flights])
    },
  }
}

/** POSTs `body` to the target's URL, connecting to its checked address; resolves with the status. */
function post(target: Target, body: string, headers: Record<string, string>, timeoutMs: number, active: Set<ClientRequest>): Promise<number> {
  const address = target.addresses[0]
  const family = isIP(address)
  // The checked address, whatever a second DNS answer would say: no rebinding between check and connect.
  const lookup = ((_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) =>
    options?.all ? cb(null, [{ address, family }]) : cb(null, address, family)) as unknown as LookupFunction
  const client = target.url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const req = client.request(target.url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', reject)
    })
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    active.add(req)
    req.on('close', () => (clearTimeout(timer), active.delete(req)))
    req.on('error', reject)
    req.end(body)
  })
}
