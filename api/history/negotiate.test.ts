import { describe, expect, it } from 'vitest'
import { negotiate } from './formats.ts'

describe('negotiate: ?format= first, then the Accept header by quality', () => {
  it('never answers a type the client refused with q=0', () => {
    expect(negotiate('application/msgpack;q=0', undefined)).toBe('json')
    expect(negotiate('application/msgpack; q=0.0, application/json', undefined)).toBe('json')
    expect(negotiate('text/csv;q=0, application/x-msgpack', undefined)).toBe('msgpack')
  })

  it('prefers the highest quality, then the order given', () => {
    expect(negotiate('text/csv;q=0.5, application/msgpack', undefined)).toBe('msgpack')
    expect(negotiate('application/msgpack;q=0.2, text/csv;q=0.9', undefined)).toBe('csv')
    expect(negotiate('text/csv, application/msgpack', undefined)).toBe('csv')
    expect(negotiate('application/json, text/csv', undefined)).toBe('json')
    expect(negotiate('APPLICATION/VND.MSGPACK', undefined)).toBe('msgpack')
  })

  it('falls back to JSON for anything else, and lets ?format= win', () => {
    expect(negotiate(undefined, undefined)).toBe('json')
    expect(negotiate('text/html, */*;q=0.8', undefined)).toBe('json')
    expect(negotiate('application/msgpack', 'csv')).toBe('csv')
    expect(negotiate('application/json', 'xml')).toBeUndefined()
  })
})
