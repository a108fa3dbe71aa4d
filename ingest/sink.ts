import type { Row, Stream } from '../core/events.ts'

/** Where validated rows go: straight into ClickHouse (embedded) or into Kafka. */
export interface EventSink {
  /** Resolves once the rows are durable downstream; rejects with a retriable AppError (503) otherwise. */
  write(stream: Stream, rows: Row[]): Promise<void>
  close(): Promise<void>
}

export interface DeadLetter {
  stream: string
  raw: string
  error_code: string
  error_message: string
  source?: string
}
