import type { Row, Stream } from '../core/events.ts'
import type { Refusal } from './batcher.ts'

/** Where validated rows go: straight into ClickHouse (embedded) or into Kafka. */
export interface EventSink {
  /**
   * Resolves once the rows are durable downstream, with the rows the engine refused (their
   * indexes in `rows`; usually none); rejects with a retriable AppError (503) otherwise. `key`
   * marks the rows of an idempotent request: stored at most once per key (docs/events.md).
   */
  write(stream: Stream, rows: Row[], key?: string): Promise<Refusal[]>
  close(): Promise<void>
}

export interface DeadLetter {
  stream: string
  raw: string
  error_code: string
  error_message: string
  source?: string
  id?: string
}
