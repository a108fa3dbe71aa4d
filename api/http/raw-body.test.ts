import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { BytesResponse, bytesBody, knownBody } from './raw-body.ts'

describe('BytesResponse', () => {
  it('keeps the headers middlewares prepared and reads like any Response', async () => {
    const app = new Hono()
    app.use('*', async (c, next) => (c.header('X-Request-Id', 'r1'), await next()))
    app.get('/', (c) => bytesBody(c, new TextEncoder().encode('{"a":1}'), 200, { 'content-type': 'application/json' }))
    const res = await app.request('/')
    expect(res.headers.get('x-request-id')).toBe('r1')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(knownBody(res)).toEqual(new TextEncoder().encode('{"a":1}'))
    expect(await res.json()).toEqual({ a: 1 })
    expect(knownBody(res)).toBeUndefined() // its stream was read: the transport must not send it again
  })

  it('gives a real stream to whoever asks for the body', async () => {
    const res = new BytesResponse(new TextEncoder().encode('abc'), { status: 200 })
    expect(await new Response(res.body).text()).toBe('abc')
    expect(await res.clone().text()).toBe('abc')
  })
})
