// OpenTelemetry tracing. Code everywhere creates spans through @opentelemetry/api
// (`withSpan`), which costs nothing until `startTracing` registers the SDK: at boot,
// only when OTEL_EXPORTER_OTLP_ENDPOINT is set (or a test injects an exporter).
import { SpanStatusCode, context, trace, type Attributes, type Context, type Link, type Span, type SpanKind } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'

export const tracer = trace.getTracer('livehouse')

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

/**
 * Runs `fn` inside a new active span (a child of the active one, or of `parent`);
 * records an exception and ERROR status when it throws, and always ends the span.
 */
export async function withSpan<T>(
  name: string,
  options: { attributes?: Attributes; kind?: SpanKind; parent?: Context; links?: Link[] },
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  const parent = options.parent ?? context.active()
  return tracer.startActiveSpan(name, { attributes: options.attributes, kind: options.kind, links: options.links }, parent, async (span) => {
    try {
      return await fn(span)
    } catch (e) {
      span.recordException(e as Error)
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message })
      throw e
    } finally {
      span.end()
    }
  })
}

/** Synchronous variant for CPU-only steps (parsing, validation). */
export function withSpanSync<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T {
  return tracer.startActiveSpan(name, { attributes }, (span) => {
    try {
      return fn(span)
    } catch (e) {
      span.recordException(e as Error)
      span.setStatus({ code: SpanStatusCode.ERROR })
      throw e
    } finally {
      span.end()
    }
  })
}

/** The active context, to parent work that runs later (a batch flushed after the request that filled it). */
export const activeContext = (): Context => context.active()

/** A link to the span active in `ctx`, if any. */
export function linkTo(ctx: Context): Link | undefined {
  const sc = trace.getSpanContext(ctx)
  return sc && trace.isSpanContextValid(sc) ? { context: sc } : undefined
}
