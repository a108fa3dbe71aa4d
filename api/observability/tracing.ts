// OpenTelemetry tracing: the SDK. Code everywhere creates spans through core/tracing.ts
// (`withSpan`), which costs nothing until `startTracing` registers the SDK: at boot,
// only when OTEL_EXPORTER_OTLP_ENDPOINT is set (or a test injects an exporter).
import { context, trace } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'

export interface TracingOptions {
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans go to `<endpoint>/v1/traces`. */
  endpoint?: string
  /** Tests: export here instead, one span at a time (e.g. sdk-trace-base's InMemorySpanExporter). */
  exporter?: SpanExporter
  serviceName?: string
}

export interface Tracing {
  enabled: boolean
  /** Flushes buffered spans and unregisters the SDK. */
  shutdown(): Promise<void>
}

/** Starts the OpenTelemetry Node SDK when there is somewhere to send spans; otherwise a no-op. */
export function startTracing(options: TracingOptions): Tracing {
  if (!options.endpoint && !options.exporter) return { enabled: false, shutdown: async () => {} }
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.endpoint!.replace(/\/+$/, '')}/v1/traces` }), { scheduledDelayMillis: 1000 })
  const sdk = new NodeSDK({
    serviceName: options.serviceName ?? 'livehouse',
    // sdk-node bundles its own sdk-trace-base; the processor contract is the same across 2.x.
    spanProcessors: [processor as never],
    instrumentations: [],
    // Only traces: without this, sdk-node would start an OTLP log exporter from the environment.
    logRecordProcessors: [],
  })
  sdk.start()
  return {
    enabled: true,
    async shutdown() {
      await sdk.shutdown().catch(() => {})
      // Let a later startTracing in the same process (tests) register again.
      trace.disable()
      context.disable()
    },
  }
}
