import { describe, expect, it } from 'vitest'
import type { Principal } from '../../core/roles.ts'
import type { Socket } from '../transport/websocket.ts'
import { Connection } from './connection.ts'

const principal: Principal = { sub: 'u', roles: new Set(['trader']), symbols: '*', shops: new Set() }
const conn = (t = 0) => new Connection(principal, '10.0.0.1', { maxFramesPerS: 5, maxStrikesPerMin: 3 }, t)

describe('connection state', () => {
  it('allows a burst of maxFramesPerS frames, then refills at that rate', () => {
    const c = conn()
    expect(Array.from({ length: 6 }, () => c.allowFrame(0))).toEqual([true, true, true, true, true, false])
    expect(c.allowFrame(100)).toBe(false) // 0.5 frame refilled
    expect(c.allowFrame(200)).toBe(true) // 1 frame (0.5 + 0.5)
    expect(c.allowFrame(200)).toBe(false)
    expect(Array.from({ length: 6 }, () => c.allowFrame(10_000))).toEqual([true, true, true, true, true, false]) // never more than a burst
  })

  it('counts strikes per minute: the one past maxStrikesPerMin says close', () => {
    const c = conn()
    expect([c.strike(0), c.strike(1000), c.strike(2000), c.strike(3000)]).toEqual([false, false, false, true])
    const d = conn()
    for (let i = 0; i < 3; i++) d.strike(i)
    expect(d.strike(61_000)).toBe(false) // a new minute starts over
  })

  it("sends through its socket, and reports 'dropped' once closed or before it has one", () => {
    const c = conn()
    const sent: Uint8Array[] = []
    expect(c.send(new Uint8Array([1]))).toBe('dropped')
    c.socket = { send: (f: Uint8Array) => (sent.push(f), 'buffered') } as unknown as Socket<Connection>
    expect(c.send(new Uint8Array([2]))).toBe('buffered')
    c.closed = true
    expect(c.send(new Uint8Array([3]))).toBe('dropped')
    expect(sent.map((f) => f[0])).toEqual([2])
  })
})
