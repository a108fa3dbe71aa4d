import { Hono } from 'hono'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.ts'
import { createApp } from './app.ts'
import type { AppEnv } from './http/middleware.ts'
import { createLogger, type LogLevel } from './log.ts'

/** A logger whose JSON lines are collected, parsed. */
function capture(level: LogLevel = 'debug', base: Record<string, unknown> = {}) {
  const lines: Record<string, any>[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line))
      done()
    },
  })
  return { log: createLogger(level, base, sink), lines }
}

describe('createLogger (pino)', () => {
  it('writes one JSON object per line with t, level, msg, the base and the fields', () => {
    const { log, lines } = capture('info', { service: 'gw' })
    log.info('hello', { n: 1 })
    log.child({ requestId: 'r1' }).warn('careful')
    expect(lines).toEqual([
      { t: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), level: 'info', msg: 'hello', service: 'gw', n: 1 },
      { t: expect.any(String), level: 'warn', msg: 'careful', service: 'gw', requestId: 'r1' },
    ])
  })

  it('drops lines below its level; silent writes nothing', () => {
    const { log, lines } = capture('warn')
    log.debug('a')
    log.info('b')
    log.error('c')
    expect(lines.map((l) => l.msg)).toEqual(['c'])
    const quiet = capture('silent')
    quiet.log.error('d')
    expect(quiet.lines).toEqual([])
  })

  it('logs an Error field with its stack, code and cause chain', () => {
    const { log, lines } = capture()
    const root = new Error('socket hang up')
    const error = new AppError(503, 'STORAGE_UNAVAILABLE', 'the batch could not be stored', { cause: root })
    log.error('write failed', { error })
    const e = lines[0].error
    expect(e).toMatchObject({ type: 'AppError', message: 'the batch could not be stored', code: 'STORAGE_UNAVAILABLE' })
    expect(e.stack).toMatch(/: the batch could not be stored\n\s+at /)
    expect(e.cause).toMatchObject({ type: 'Error', message: 'socket hang up' })
    expect(e.cause.stack).toMatch(/log\.test\.ts/)
  })

  it('a 500 is logged with the stack and cause of what was thrown (not an empty object)', async () => {
    const { log, lines } = capture()
    const routes = new Hono<AppEnv>().get('/boom', () => {
      throw new Error('query failed', { cause: new Error('connection reset') })
    })
    const r = await createApp({ log, checks: [], routes: [routes] }).request('/boom', { headers: { 'x-request-id': 'req-9' } })
    expect(r.status).toBe(500)
    const line = lines.find((l) => l.msg === 'request failed')
    expect(line).toMatchObject({ level: 'error', requestId: 'req-9', path: '/boom', code: 'INTERNAL' })
    expect(line!.cause.message).toBe('query failed')
    expect(line!.cause.stack).toMatch(/log\.test\.ts/)
    expect(line!.cause.cause.message).toBe('connection reset')
  })
})
