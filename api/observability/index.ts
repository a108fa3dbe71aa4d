// Metrics, tracing and access logs of one gateway process, wired by startLivehouse.
import type { ClickHouseClient } from '@clickhouse/client'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../http/middleware.ts'
import type { LiveGateway } from '../live/gateway.ts'
import type { Logger } from '../log.ts'
import { registerClickHouseMetrics, type ConsumerRow } from './clickhouse-metrics.ts'
import { createRequestObserver } from './http.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { startTracing, type TracingOptions } from './tracing.ts'

export { createMetrics, type Metrics } from './metrics.ts'
export type { ConsumerRow } from './clickhouse-metrics.ts'
export { startTracing } from './tracing.ts'

export interface Observability {
  metrics: Metrics
  /** The request middleware for createApp's `observe`. */
  observe: MiddlewareHandler<AppEnv>
  /** Starts reading the sources only available once the app is wired. */
  watch(sources: {
    /** The `ops` workload's client: Kafka consumers and freshness on scrape. */
    clickhouse?: ClickHouseClient
    live?: Pick<LiveGateway, 'stats' | 'onPublish'>
    /** Whether the history cache's Redis breaker is open. */
    cacheBreakerOpen?: () => boolean
    /** Livehouse's own Kafka consumers, reported as the livehouse_kafka_consumer_* series. */
    kafkaConsumers?: () => ConsumerRow[]
  }): void
  stop(): Promise<void>
}

export function createObservability(o: { config: { OTEL_EXPORTER_OTLP_ENDPOINT?: string }; log: Logger; tracing?: Omit<TracingOptions, 'endpoint'> }): Observability {
  const tracing = startTracing({ endpoint: o.config.OTEL_EXPORTER_OTLP_ENDPOINT, ...o.tracing })
  if (tracing.enabled) o.log.info('tracing on', { endpoint: o.config.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'injected exporter' })
  const metrics = createMetrics()
  return {
    metrics,
    observe: createRequestObserver({ log: o.log, metrics }),
    watch(sources) {
      if (sources.clickhouse) registerClickHouseMetrics(metrics.registry, sources.clickhouse, { consumers: sources.kafkaConsumers })
      const live = sources.live
      if (live) {
        metrics.collectLive(() => live.stats())
        const previous = live.onPublish
        live.onPublish = (lq, frame) => {
          metrics.countDelta(lq.spec.name, frame.byteLength)
          previous?.(lq, frame)
        }
      }
      if (sources.cacheBreakerOpen) metrics.collectCacheBreaker(sources.cacheBreakerOpen)
    },
    stop: () => tracing.shutdown(),
  }
}
