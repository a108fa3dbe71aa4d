// Alerts, wired once (api/livehouse.ts): rules in ClickHouse, evaluated on the live ticks
// this gateway leads, recorded, then delivered over SSE, the WebSocket `alerts` channel
// and webhooks. docs/api.md#alerts is the user's side of it.
import type { ClickHouseClient } from '@clickhouse/client'
import type { Hono } from 'hono'
import type { Registry } from 'prom-client'
import type { Principal } from '../../core/roles.ts'
import * as access from '../access.ts'
import type { Auth } from '../auth.ts'
import type { TokenWatch } from '../auth/token-watch.ts'
import type { Workload } from '../clickhouse/client.ts'
import type { AppEnv } from '../http/middleware.ts'
import { channels } from '../live/channels.ts'
import type { LiveGateway } from '../live/gateway.ts'
import type { PushChannel } from '../live/push-channel.ts'
import type { Logger } from '../log.ts'
import type { RateLimits } from '../ratelimit/middleware.ts'
import { createBands } from './anomaly.ts'
import { createAlertBus } from './bus.ts'
import { createAlertsChannel } from './channel.ts'
import { createEvaluator } from './evaluator.ts'
import { liveFeed } from './feed.ts'
import { createAlertMetrics } from './metrics.ts'
import { createRecentAlerts } from './recent.ts'
import { createRecorder } from './recorder.ts'
import { createAlertRoutes } from './routes.ts'
import type { Alert } from './schema.ts'
import { createRuleService } from './service.ts'
import { createRuleStore, entityKeyOf, entityKeyFromJson } from './store.ts'
import { createRuleSync } from './sync.ts'
import { createWebhooks } from './webhooks.ts'

export interface AlertsConfig {
  REDIS_URL?: string
  CACHE_NAMESPACE: string
  ALERT_MAX_RULES_PER_USER: number
  ALERT_MAX_STREAMS_PER_USER: number
  ALERT_WEBHOOK_ALLOW_PRIVATE: boolean
  ALERT_WEBHOOK_TIMEOUT_MS: number
  ALERT_WEBHOOK_MAX_ATTEMPTS: number
  ALERT_WEBHOOK_BACKOFF_MS: number
  ALERT_ANOMALY_REFRESH_MS: number
  ALERT_RULES_RELOAD_MS: number
}

export interface Alerts {
  routes: Hono<AppEnv>
  /** The WebSocket `alerts` channel, for LiveGatewayOptions.pushChannels. */
  channel: PushChannel
  /** Loads the rules and starts watching their channels (once the live gateway exists). */
  start(): Promise<void>
  stop(): Promise<void>
  stats(): { rules: number; channels: number; pendingWrites: number; pendingWebhooks: number }
}

/** Whether `p`'s token may see this alert (api/access.ts firedAlert): its own rule's, on a channel and row in scope. */
export function mayReceive(p: Principal, a: Alert): boolean {
  const spec = channels.get(a.channel)
  if (!spec) return false
  let params: Record<string, unknown>
  try {
    params = spec.parse(a.params, p) as Record<string, unknown>
  } catch {
    return false
  }
  return access.firedAlert(p, { owner: a.owner, channel: a.channel, params, entity: a.entity }).ok
}

export async function createAlerts(o: {
  config: AlertsConfig
  auth: Auth
  /** Ends an alert stream when its token expires or is revoked. */
  tokenWatch: TokenWatch
  /** A rule saved with a token revoked since stops firing (api/auth/revocations.ts). */
  isRevoked(jti: string): boolean
  log: Logger
  clickhouse: (w: Workload, lane?: number) => ClickHouseClient
  /** The live gateway whose ticks rules ride on; first read when a rule is watched (start(), or a rule saved over HTTP). */
  live: () => Pick<LiveGateway, 'watchTicks'>
  /** Request limits of the API (api/ratelimit/middleware.ts). */
  limits?: RateLimits
  registry?: Registry
}): Promise<Alerts> {
  const { config, log } = o
  const store = createRuleStore(o.clickhouse('ops', 1))
  const bus = createAlertBus({ redisUrl: config.REDIS_URL, namespace: config.CACHE_NAMESPACE, log })
  // Every alert delivered here (fired here or by a replica), kept for resumptions while its INSERT may still be under way.
  const recent = createRecentAlerts()
  bus.onAny((a) => recent.add(a))
  const policy = { allowPrivate: config.ALERT_WEBHOOK_ALLOW_PRIVATE }
  let streams = 0
  const gauges = {
    rules: () => evaluator.stats().rules, channels: () => evaluator.stats().topics, streams: () => streams,
    webhooksPending: () => webhooks.pending(), writesPending: () => recorder.pending(),
  }
  const metrics = createAlertMetrics(o.registry, gauges)
  const webhooks = createWebhooks({
    policy, log, timeoutMs: config.ALERT_WEBHOOK_TIMEOUT_MS, maxAttempts: config.ALERT_WEBHOOK_MAX_ATTEMPTS,
    backoffMs: config.ALERT_WEBHOOK_BACKOFF_MS, maxQueue: 10_000, concurrency: 8, onOutcome: metrics.webhook,
  })
  const recorder = createRecorder({ store, bus, webhooks, log, onFired: metrics.fired })
  // Last fire per rule and entity, from the history and from every replica's alerts since: cooldowns hold across restarts and failovers.
  const lastFired = await store.lastFired(8).catch((error) => (log.warn('alert history unreadable at start', { error }), new Map<string, number>()))
  bus.onAny((a) => lastFired.set(entityKeyOf(a.ruleId, entityKeyFromJson(JSON.stringify(a.entity))), a.firedAt))
  const feed = liveFeed(o.live)
  const bands = createBands({ ch: o.clickhouse('ops', 2), log, refreshMs: config.ALERT_ANOMALY_REFRESH_MS })
  const evaluator = createEvaluator({
    feed, log, bands, onFire: (alert, rule) => recorder.record(alert, rule), onEvaluate: metrics.evaluated,
    lastFired: (ruleId, entityKey) => lastFired.get(entityKeyOf(ruleId, entityKey)), isRevoked: o.isRevoked,
  })
  const sync = createRuleSync({ store, evaluator, bus, log, reloadMs: config.ALERT_RULES_RELOAD_MS })
  const service = createRuleService({ store, evaluator: sync.tracked(), bus, channels, policy, maxRulesPerUser: config.ALERT_MAX_RULES_PER_USER })
  const routes = createAlertRoutes({
    auth: o.auth, tokenWatch: o.tokenWatch, limits: o.limits, service, store, recent, bus, mayReceive, maxStreamsPerUser: config.ALERT_MAX_STREAMS_PER_USER,
    // Replicas' clocks differ: a resume repeats what other replicas recorded in the 2 s before the last event seen.
    resumeGraceUs: config.REDIS_URL ? 2_000_000 : 0,
    onStreams: (d) => (streams += d),
    onError: (error) => log.warn('alert stream resumption failed', { error }),
  })
  const channel = createAlertsChannel({ bus, store, recent, mayReceive })
  let stopped: Promise<void> | undefined
  return {
    routes,
    channel,
    start: () => sync.start(),
    stop: () =>
      (stopped ??= (async () => {
        routes.closeStreams()
        sync.stop()
        bands.stop()
        evaluator.stop()
        await recorder.flush(5000)
        await webhooks.stop()
        await bus.close()
        recent.stop()
      })()),
    stats: () => ({ rules: evaluator.stats().rules, channels: evaluator.stats().topics, pendingWrites: recorder.pending(), pendingWebhooks: webhooks.pending() }),
  }
}
