import { AppError } from '../../core/errors.ts'

/**
 * A ClickHouse-style failure of the analyst port: the client sees `Code: N. DB::Exception: …`,
 * X-ClickHouse-Exception-Code and the HTTP status ClickHouse's own server gives that code, so
 * clients that branch on either behave as against a server. `code` is the ClickHouse name.
 */
export class SqlError extends AppError {
  constructor(readonly chCode: number, name: string, message: string) {
    super(httpStatusOf(chCode) as 400, name, message)
  }
}

/** The ClickHouse error codes the port raises itself (numbers as in ClickHouse's ErrorCodes). */
export const codes = {
  UNSUPPORTED_METHOD: 1,
  BAD_ARGUMENTS: 36,
  NOT_IMPLEMENTED: 48,
  SYNTAX_ERROR: 62,
  UNKNOWN_FORMAT: 73,
  UNKNOWN_DATABASE: 81,
  UNKNOWN_SETTING: 115,
  READONLY: 164,
  REQUIRED_PASSWORD: 194,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  QUERY_IS_TOO_LARGE: 229,
  CANNOT_DECOMPRESS: 271,
  SESSION_NOT_FOUND: 372,
  SESSION_IS_LOCKED: 373,
  QUERY_WAS_CANCELLED: 394,
  SETTING_CONSTRAINT_VIOLATION: 452,
  ACCESS_DENIED: 497,
  AUTHENTICATION_FAILED: 516,
  UNSUPPORTED_MEDIA_TYPE: 779,
  UNKNOWN_EXCEPTION: 1002,
} as const

export const sqlError = (name: keyof typeof codes, message: string) => new SqlError(codes[name], name, message)

// ClickHouse's own code → status table (src/Server/HTTP/exceptionCodeToHTTPStatus.cpp), by number.
const statusOfCode = new Map<number, number>([
  [194, 401],
  ...[192, 193, 516, 512, 497].map((c) => [c, 403] as [number, number]),
  // The one deliberate difference: a server answers READONLY with 500. A refusal is not a server
  // fault, and monitors, proxies and the browser console treat 5xx as one (docs/sql.md).
  [164, 403],
  ...[36, 427, 6, 25, 26, 38, 41, 72, 441, 675, 676, 27, 376, 15, 44, 37, 8, 123, 167, 168, 223, 62, 117, 53, 321]
    .map((c) => [c, 400] as [number, number]),
  ...[60, 46, 47, 50, 56, 81, 115, 152, 63, 73, 336, 78, 511].map((c) => [c, 404] as [number, number]),
  [229, 413],
  [48, 501],
  [209, 503],
  [76, 503],
  [381, 411],
  [159, 408],
  [439, 503],
  [779, 415],
])

/** The HTTP status ClickHouse's server answers an exception code with (500 for the rest). */
export function httpStatusOf(code: number): number {
  return statusOfCode.get(code) ?? 500
}

const reasons: Record<number, string> = {
  200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout',
  411: 'Length Required', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
}

/** The reason phrase for a status line (`403 Forbidden`, never `403 OK`). */
export const reasonPhrase = (status: number) => reasons[status] ?? 'Unknown'

/** Any failure as a SqlError: an engine error keeps its code and name, anything else is UNKNOWN_EXCEPTION. */
export function toSqlError(e: unknown): SqlError {
  if (e instanceof SqlError) return e
  const err = e as { code?: unknown; type?: string; message?: string }
  const text = String(err?.message ?? e ?? 'unknown error')
  // chDB nests one engine message in another (`Code: 164. DB::Exception: Code: 164. …`): keep the innermost.
  const m = /Code: (\d+)\. DB::(?:Errno)?Exception: (?:Code: \d+\. DB::(?:Errno)?Exception: )?([\s\S]*?)(?:\s*\((\w+)\))?(?:\s*\(version [^)]*\))?(?:\. \((\w+)\))?\s*$/.exec(text)
  if (m) {
    const name = m[4] ?? m[3] ?? err.type ?? 'UNKNOWN_EXCEPTION'
    return new SqlError(Number(m[1]), name, m[2].replace(/\.$/, ''))
  }
  const code = Number(err?.code)
  if (Number.isInteger(code) && code > 0) return new SqlError(code, err.type ?? 'UNKNOWN_EXCEPTION', text)
  return new SqlError(codes.UNKNOWN_EXCEPTION, 'UNKNOWN_EXCEPTION', text)
}
