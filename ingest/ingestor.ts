import { withSpan } from '../core/tracing.ts'
import { AppError } from '../core/errors.ts'
import type { Batcher, Refusal } from './batcher.ts'
import { countLines, cutForDeadLetter, parseEvents, parseNdjson, type LineError, type ParsedBatch } from './ndjson.ts'
import type { ParseBody } from './parse-pool.ts'
import type { DeadLetter, EventSink } from './sink.ts'
import type { Row, Stream } from '../core/events.ts'

export interface IngestorDeps {
  sink: EventSink
  deadLetters: Batcher
  /** Longest NDJSON line accepted (LINE_TOO_LONG past it); default 1 MiB. */
  maxLineBytes?: number
  /** Most lines in one body (413 TOO_MANY_LINES past it); default 100,000. */
  maxLines?: number
  /** How a body is validated (parse-pool.ts moves large ones off the main thread); default parseNdjson here. */
  parse?: ParseBody
  /** Called after every request with what happened, for metrics. */
  onResult?: (stream: Stream, accepted: number, rejected: number) => void
}

export interface IngestOptions {
  /** The unit key of an idempotent request (see ingest-keys.ts): its rows are stored at most once. */
  key?: string
  /** Write rejected lines to dead_letters (default true; a dead-letter replay keeps the original letter instead). */
  deadLetters?: boolean
}

export interface IngestResult {
  accepted: number
  rejected: number
  errors: LineError[]
}

const maxErrorsReported = 100
const defaultMaxLineBytes = 1024 * 1024
export const defaultMaxLines = 100_000

/**
 * Validates and writes one batch of events: the rejected ones to dead_letters, then the
 * valid rows to the sink. Shared by the HTTP route, dead-letter replay and the demo generator.
 */
export type Ingestor = ReturnType<typeof createIngestor>

export function createIngestor(deps: IngestorDeps) {
  const maxLineBytes = deps.maxLineBytes ?? defaultMaxLineBytes
  const maxLines = deps.maxLines ?? defaultMaxLines
  const parse = deps.parse ?? parseNdjson
  return {
    /** An NDJSON body, as producers send it. */
    async text(stream: Stream, text: string, options: IngestOptions = {}): Promise<IngestResult> {
      // Counted before parsing: 5,000,000 `{}` lines are refused at once instead of being validated one by one.
      const lines = countLines(text)
      if (lines > maxLines) throw new AppError(413, 'TOO_MANY_LINES', `a request may hold at most ${maxLines} lines; this one has ${lines}: split it`, { details: { maxLines, lines } })
      const parsed = await withSpan('ingest.parse', { attributes: { 'livehouse.stream': stream, 'livehouse.bytes': text.length } }, async (span) => {
        const p = await parse(stream, text, { maxLineBytes })
        span.setAttributes({ 'livehouse.accepted': p.rows.length, 'livehouse.rejected': p.errors.length })
        return p
      })
      return store(stream, parsed, options)
    },
    /** Already-decoded events (the demo generator): validated exactly like NDJSON lines. */
    async events(stream: Stream, events: unknown[], options: IngestOptions = {}): Promise<IngestResult> {
      return store(stream, parseEvents(stream, events), options)
    },
  }

  function store(stream: Stream, batch: ParsedBatch, options: IngestOptions): Promise<IngestResult> {
    return withSpan('ingest.write', { attributes: { 'livehouse.stream': stream, 'livehouse.rows': batch.rows.length, 'livehouse.rejected': batch.errors.length } }, () => write(stream, batch, options))
  }

  async function write(stream: Stream, batch: ParsedBatch, options: IngestOptions): Promise<IngestResult> {
    const { rows, rowLines, errors, rawRejected } = batch
    if (options.deadLetters !== false) {
      // Dead letters first: if they fail (ClickHouse down while Kafka is up) the request answers
      // 503 before any row is stored, so the client's retry duplicates only dead letters.
      await deps.deadLetters.add(errors.map((e, i) => letter(stream, rawRejected[i], e)))
    }
    const refused = await deps.sink.write(stream, rows, options.key)
    if (refused.length > 0) {
      const refusedErrors = refused.map((r) => ({ line: rowLines[r.index], code: r.code, message: r.message }))
      if (options.deadLetters !== false) {
        // After the rows, necessarily: only the engine knew. A failure here loses the letter, not the answer.
        await deps.deadLetters.add(refused.map((r, i) => letter(stream, rowText(rows[r.index]), refusedErrors[i]))).catch(() => {})
      }
      errors.push(...refusedErrors)
      errors.sort((a, b) => a.line - b.line)
    }
    deps.onResult?.(stream, rows.length - refused.length, errors.length)
    return { accepted: rows.length - refused.length, rejected: errors.length, errors: errors.slice(0, maxErrorsReported) }
  }
}

const letter = (stream: Stream, raw: string, e: LineError): DeadLetter => ({ stream, raw, error_code: e.code, error_message: `line ${e.line}: ${e.message}` })

/** A refused row as NDJSON for its dead letter (what a replay sends again), without ingestion's own columns. */
function rowText(row: Row): string {
  const { ingest_key: _k, ingest_source: _s, ...event } = row
  return cutForDeadLetter(JSON.stringify(event))
}

export type { Refusal }
