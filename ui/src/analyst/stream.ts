// Reads ClickHouse's `JSONCompactEachRowWithProgress` output line by line as it arrives:
// `{"meta":…}`, `{"row":[…]}`, `{"progress":…}`, `{"totals":…}`, `{"exception":"…"}`.
// One format for the whole answer gives streaming rows, progress while the engine works
// and an error that arrives after the 200 status line, on a server and on chDB alike.

export interface Column {
  name: string
  type: string
}

export interface Progress {
  readRows: number
  readBytes: number
  totalRowsToRead: number
  /** Server-side elapsed time, when the engine reports it. */
  elapsedNs?: number
}

export type Line =
  | { kind: 'meta'; columns: Column[] }
  | { kind: 'row'; row: unknown[] }
  | { kind: 'totals'; row: unknown[] }
  | { kind: 'progress'; progress: Progress }
  | { kind: 'exception'; message: string }
  | { kind: 'rows_before_limit'; rows: number }

const number = (v: unknown) => (v === undefined || v === null || v === '' ? 0 : Number(v))

export function toProgress(p: Record<string, unknown>): Progress {
  return {
    readRows: number(p.read_rows),
    readBytes: number(p.read_bytes),
    totalRowsToRead: number(p.total_rows_to_read),
    elapsedNs: p.elapsed_ns === undefined ? undefined : number(p.elapsed_ns),
  }
}

// A JSON string (skipped whole) or an integer of 16+ digits outside any string.
const bigInteger = /("(?:[^"\\]|\\.)*")|(?<![\d.eE+-])(-?\d{16,})(?![\d.eE])/g

/**
 * 64-bit integers beyond 2^53 as strings, so they show exactly: a ClickHouse server quotes
 * them in JSON by default, chDB writes them bare, and JSON.parse would round them.
 */
export function quoteBigIntegers(line: string): string {
  if (!/\d{16}/.test(line)) return line
  return line.replace(bigInteger, (m, str: string | undefined, int: string | undefined) =>
    str !== undefined || Number.isSafeInteger(Number(int)) ? m : `"${int}"`)
}

/**
 * One output line → what it carries; undefined for kinds the view has no use for.
 * A line that is not JSON is an exception in ClickHouse's text form (older servers
 * append `Code: N. DB::Exception…` to a body whose status was already sent).
 */
export function parseLine(text: string): Line | undefined {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(quoteBigIntegers(text))
  } catch {
    return { kind: 'exception', message: text.trim() }
  }
  if (Array.isArray(o.row)) return { kind: 'row', row: o.row }
  if (Array.isArray(o.meta)) return { kind: 'meta', columns: (o.meta as Column[]).map((c) => ({ name: String(c.name), type: String(c.type) })) }
  if (o.progress && typeof o.progress === 'object') return { kind: 'progress', progress: toProgress(o.progress as Record<string, unknown>) }
  if (Array.isArray(o.totals)) return { kind: 'totals', row: o.totals }
  if (typeof o.exception === 'string') return { kind: 'exception', message: o.exception.trim() }
  if (o.rows_before_limit_at_least !== undefined) return { kind: 'rows_before_limit', rows: number(o.rows_before_limit_at_least) }
  return undefined
}

/** Splits decoded text chunks into complete lines; the tail waits for the next chunk. */
export function createLineSplitter(onLine: (line: string) => void) {
  let rest = ''
  return {
    push(chunk: string) {
      const text = rest + chunk
      let start = 0
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const line = text.slice(start, nl)
        if (line.trim()) onLine(line)
        start = nl + 1
      }
      rest = text.slice(start)
    },
    end() {
      if (rest.trim()) onLine(rest)
      rest = ''
    },
  }
}
