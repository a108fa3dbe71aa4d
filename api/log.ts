// Structured JSON logs on stdout, one object per line (`t`, `level`, `msg`, fields), written by pino.
// Every Error among a line's fields is logged with its name, message, stack, code and its
// `cause` chain, so a 500's log line says where it came from.
import { pino, stdSerializers, type DestinationStream, type Logger as Pino } from 'pino'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
export type Logger = Record<Exclude<LogLevel, 'silent'>, (msg: string, fields?: Record<string, unknown>) => void> & {
  child(fields: Record<string, unknown>): Logger
}

/** `destination` defaults to stdout; tests pass a stream to read the lines back. */
export function createLogger(level: LogLevel = 'info', base: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: null, // no pid/hostname on every line: the process and host are the log stream's, not the line's
    messageKey: 'msg',
    timestamp: () => `,"t":"${new Date().toISOString()}"`,
    formatters: { level: (label: string) => ({ level: label }), log: serializeErrors },
  }
  const root = destination ? pino(options, destination) : pino(options)
  return wrap(Object.keys(base).length ? root.child(base) : root)
}

function wrap(p: Pino): Logger {
  const at = (lvl: Exclude<LogLevel, 'silent'>) => (msg: string, fields?: Record<string, unknown>) => {
    if (fields) p[lvl](fields, msg)
    else p[lvl](msg)
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (fields) => wrap(p.child(fields)) }
}

/** Top-level Error fields (`error`, `cause`, …) become `{type, message, stack, code, cause…}` instead of `{}`. */
function serializeErrors(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) (out ??= { ...fields })[key] = stdSerializers.errWithCause(value)
  }
  return out ?? fields
}
