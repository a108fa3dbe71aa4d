import { validateEvent, Reject, type Row, type Stream } from '../core/events.ts'

export interface LineError {
  line: number
  code: string
  message: string
}

export interface ParsedBatch {
  rows: Row[]
  errors: LineError[]
  /** The raw text of each rejected line, parallel to `errors`, for dead_letters. */
  rawRejected: string[]
}

/** A rejected line is kept in dead_letters up to this many characters; the rest is cut (its length is noted). */
export const maxDeadLetterChars = 64 * 1024

/** Records one rejected line or event: its error for the answer and its raw text, cut to size, for dead_letters. */
function addReject(out: ParsedBatch, line: number, reject: Reject, raw: string): void {
  out.errors.push({ line, code: reject.code, message: reject.message })
  out.rawRejected.push(raw.length > maxDeadLetterChars ? `${raw.slice(0, cutAt(raw, maxDeadLetterChars))}…[${raw.length} chars]` : raw)
}

/** `at`, or one less so as not to split a surrogate pair: ClickHouse refuses the lone half, failing the whole dead-letter INSERT. */
function cutAt(text: string, at: number): number {
  const last = text.charCodeAt(at - 1)
  return last >= 0xd800 && last <= 0xdbff ? at - 1 : at
}

/** Already-decoded events (the demo generator), numbered from 1 and validated exactly like NDJSON lines. */
export function parseEvents(stream: Stream, events: readonly unknown[]): ParsedBatch {
  const out: ParsedBatch = { rows: [], errors: [], rawRejected: [] }
  events.forEach((event, i) => {
    const result = validateEvent(stream, event)
    if (result instanceof Reject) addReject(out, i + 1, result, JSON.stringify(event) ?? String(event))
    else out.rows.push(result)
  })
  return out
}

/**
 * Splits an NDJSON body into lines (1-based numbers; blank lines are skipped but
 * counted) and validates each. A bad line never affects the lines around it.
 */
export function parseNdjson(stream: Stream, text: string, maxLineBytes: number): ParsedBatch {
  const out: ParsedBatch = { rows: [], errors: [], rawRejected: [] }
  let lineNo = 0
  let start = 0
  while (start <= text.length) {
    let end = text.indexOf('\n', start)
    if (end === -1) end = text.length
    lineNo++
    const line = text.slice(start, end > start && text[end - 1] === '\r' ? end - 1 : end)
    start = end + 1
    if (line.trim() === '') continue
    const result = parseLine(stream, line, maxLineBytes)
    if (result instanceof Reject) addReject(out, lineNo, result, line)
    else out.rows.push(result)
  }
  return out
}

function parseLine(stream: Stream, line: string, maxLineBytes: number): Row | Reject {
  // String length bounds UTF-8 bytes from below; count bytes only when it matters.
  if (line.length * 3 > maxLineBytes && Buffer.byteLength(line) > maxLineBytes) {
    return new Reject('LINE_TOO_LONG', `a line may hold at most ${maxLineBytes} bytes`)
  }
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return new Reject('INVALID_JSON', 'the line is not valid JSON')
  }
  return validateEvent(stream, value)
}
