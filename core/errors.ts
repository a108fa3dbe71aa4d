import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** The one error type of the project: a stable UPPER_SNAKE code, an HTTP status and a safe message. */
export class AppError extends Error {
  readonly code: string
  readonly status: ContentfulStatusCode
  readonly details?: unknown
  readonly retryAfterS?: number

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    options: { cause?: unknown; details?: unknown; retryAfterS?: number } = {},
  ) {
    super(message, { cause: options.cause })
    this.status = status
    this.code = code
    this.details = options.details
    this.retryAfterS = options.retryAfterS
  }

  toBody(): { error: { code: string; message: string; details?: unknown } } {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } }
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError
