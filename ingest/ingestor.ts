import { withSpan, withSpanSync } from '../core/tracing.ts'
import type { Batcher } from './batcher.ts'
import { parseEvents, parseNdjson, type LineError, type ParsedBatch } from './ndjson.ts'
import type { DeadLetter, EventSink } from './sink.ts'
import type { Stream } from '../core/events.ts'

export interface IngestorDeps {
  sink: EventSink
  deadLetters: Batcher
  /** Longest NDJSON line accepted (LINE_TOO_LONG past it); default 1 MiB. */
  maxLineBytes?: number
  /** Called after every request with what happened, for metrics. */
  onResult?: (stream: Stream, accepted: number, rejected: number) => void
}

export interface IngestResult {
  accepted: number
  rejected: number
  errors: LineError[]
}

const maxErrorsReported = 100
const defaultMaxLineBytes = 1024 * 1024

/**
 * Validates and writes one batch of events: the rejected ones to dead_letters, then the
 * valid rows to the sink. Shared by the HTTP route and the demo generator.
 */
export type Ingestor = ReturnType<typeof createIngestor>

export function createIngestor(deps: IngestorDeps) {
  const maxLineBytes = deps.maxLineBytes ?? defaultMaxLineBytes
  return {
    /** An NDJSON body, as producers send it. */
    async text(stream: Stream, text: string): Promise<IngestResult> {
      const parsed = withSpanSync('ingest.parse', { 'livehouse.stream': stream, 'livehouse.bytes': text.length }, (span) => {
        const p = parseNdjson(stream, text, maxLineBytes)
        span.setAttributes({ 'livehouse.accepted': p.rows.length, 'livehouse.rejected': p.errors.length })
        return p
      })
      return store(stream, parsed)
    },
    /** Already-decoded events (the demo generator): validated exactly like NDJSON lines. */
    async events(stream: Stream, events: unknown[]): Promise<IngestResult> {
      return store(stream, parseEvents(stream, events))
    },
  }

  function store(stream: Stream, batch: ParsedBatch): Promise<IngestResult> {
    return withSpan('ingest.write', { attributes: { 'livehouse.stream': stream, 'livehouse.rows': batch.rows.length, 'livehouse.rejected': batch.errors.length } }, () => write(stream, batch))
  }

  async function write(stream: Stream, { rows, errors, rawRejected }: ParsedBatch): Promise<IngestResult> {
    const letters: DeadLetter[] = errors.map((e, i) => ({ stream, raw: rawRejected[i], error_code: e.code, error_message: `line ${e.line}: ${e.message}` }))
    // Dead letters first: if they fail (ClickHouse down while Kafka is up) the request answers
    // 503 before any row is stored, so the client's retry duplicates only dead letters.
    await deps.deadLetters.add(letters)
    await deps.sink.write(stream, rows)
    deps.onResult?.(stream, rows.length, errors.length)
    return { accepted: rows.length, rejected: errors.length, errors: errors.slice(0, maxErrorsReported) }
  }
}
