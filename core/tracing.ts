// Spans through @opentelemetry/api only: free until api/observability/tracing.ts registers the SDK.
// Shared by the gateway (api/) and ingestion (ingest/), so it imports neither.
import { SpanStatusCode, context, trace, type Attributes, type Context, type Link, type Span, type SpanKind } from '@opentelemetry/api'

export const tracer = trace.getTracer('livehouse')

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
