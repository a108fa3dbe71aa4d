import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { validateEvent, Reject, type Row, type Stream } from '../core/events.ts'

export interface LineError {
  line: number
  code: string
  message: string
}

export interface ParsedBatch {
  rows: Row[]
  /** The line (or event) number of each row, parallel to `rows`: what a refusal by the engine is reported against. */
  rowLines: number[]
  errors: LineError[]
  /** The raw text of each rejected line, parallel to `errors`, for dead_letters. */
  rawRejected: string[]
}

export interface ParseOptions {
  /** Longest line in UTF-8 bytes (LINE_TOO_LONG past it). */
  maxLineBytes: number
  /** The clock reading the retention limit is placed from (one per batch). */
  nowMs?: number
  /** Longest the event loop is held before validation yields to it (default 5 ms). */
  sliceMs?: number
}

/** A rejected line is kept in dead_letters up to this many characters; the rest is cut (its length is noted). */
export const maxDeadLetterChars = 64 * 1024

const emptyBatch = (): ParsedBatch => ({ rows: [], rowLines: [], errors: [], rawRejected: [] })

/** Records one rejected line or event: its error for the answer and its raw text, cut to size, for dead_letters. */
export function addReject(out: ParsedBatch, line: number, reject: Reject, raw: string): void {
  out.errors.push({ line, code: reject.code, message: reject.message })
  out.rawRejected.push(cutForDeadLetter(raw))
}

/** A raw line as dead_letters keeps it: whole up to 64 Ki characters, else cut with its length noted. */
export const cutForDeadLetter = (raw: string): string =>
  raw.length > maxDeadLetterChars ? `${raw.slice(0, cutAt(raw, maxDeadLetterChars))}…[${raw.length} chars]` : raw

/** `at`, or one less so as not to split a surrogate pair: ClickHouse refuses the lone half, failing the whole dead-letter INSERT. */
function cutAt(text: string, at: number): number {
  const last = text.charCodeAt(at - 1)
  return last >= 0xd800 && last <= 0xdbff ? at - 1 : at
}

/** Already-decoded events (the demo generator), numbered from 1 and validated exactly like NDJSON lines. */
export function parseEvents(stream: Stream, events: readonly unknown[], nowMs = Date.now()): ParsedBatch {
  const out = emptyBatch()
  events.forEach((event, i) => {
    const result = validateEvent(stream, event, nowMs)
    if (result instanceof Reject) addReject(out, i + 1, result, JSON.stringify(event) ?? String(event))
    else {
      out.rows.push(result)
      out.rowLines.push(i + 1)
    }
  })
  return out
}

/**
 * The lines an NDJSON body holds (blank ones included), counted without splitting it: a body
 * over the line cap is refused before any line is parsed.
 */
export function countLines(text: string): number {
  let n = 1
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) n++
  return text.endsWith('\n') ? n - 1 : n
}

/**
 * Splits an NDJSON body into lines (1-based numbers; blank lines are skipped but counted) and
 * validates each. A bad line never affects the lines around it. Yields to the event loop every
 * `sliceMs`, so a large body never holds other requests (or /health) for longer than that.
 */
export async function parseNdjson(stream: Stream, text: string, options: ParseOptions): Promise<ParsedBatch> {
  const out = emptyBatch()
  const nowMs = options.nowMs ?? Date.now()
  const sliceMs = options.sliceMs ?? 5
  let sliceEnd = performance.now() + sliceMs
  let lineNo = 0
  let start = 0
  while (start <= text.length) {
    let end = text.indexOf('\n', start)
    if (end === -1) end = text.length
    lineNo++
    const line = text.slice(start, end > start && text[end - 1] === '\r' ? end - 1 : end)
    start = end + 1
    if (line.trim() !== '') {
      const result = parseLine(stream, line, options.maxLineBytes, nowMs)
      if (result instanceof Reject) addReject(out, lineNo, result, line)
      else {
        out.rows.push(result)
        out.rowLines.push(lineNo)
      }
    }
    // Checking the clock costs more than a short line: look every 64 lines.
    if ((lineNo & 63) === 0 && performance.now() > sliceEnd) {
      await yieldToEventLoop()
      sliceEnd = performance.now() + sliceMs
    }
  }
  return out
}

function parseLine(stream: Stream, line: string, maxLineBytes: number, nowMs: number): Row | Reject {
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
  return validateEvent(stream, value, nowMs)
}
