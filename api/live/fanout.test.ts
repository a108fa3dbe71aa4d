import { describe, expect, it } from 'vitest'
import type { Principal } from '../../core/roles.ts'
import type { Socket } from '../transport/websocket.ts'
import { Connection, type Subscription } from './connection.ts'
import { createFanout } from './fanout.ts'
import type { LiveQuery } from './live-query.ts'
import type { Watched } from './scheduler.ts'

const principal: Principal = { sub: 'u', roles: new Set(['trader']), symbols: '*', shops: new Set() }
const lq = { topic: 'candles/1s/X', cid: 1 } as LiveQuery
const w = { lq, ready: Promise.resolve(), watchers: 1 } as Watched

/** A live subscription on a fake socket whose buffered bytes the test sets; counts how often they are read. */
function subscriber() {
  const s = { buffered: 0, reads: 0, ended: undefined as number | undefined, topics: new Set([lq.topic]) }
  const conn = new Connection(principal, '10.0.0.1', { maxFramesPerS: 5, maxStrikesPerMin: 3 }, 0)
  conn.socket = {
    bufferedBytes: () => (s.reads++, s.buffered),
    unsubscribe: (t: string) => void s.topics.delete(t),
    end: (code: number) => void (s.ended = code),
  } as unknown as Socket<Connection>
  const sub: Subscription = { kind: 'query', sid: 1, w, conn, state: 'live' }
  return { s, sub }
}

describe('fan-out', () => {
  it('publishes each delta once to the topic, and reads a socket\'s buffer at most once per bufferCheckMs', () => {
    let now = 0
    const published: string[] = []
    const fanout = createFanout({ slowClientBytes: 1000, maxClientBufferBytes: 10_000, publish: (t) => void published.push(t), bufferCheckMs: 1000, clock: () => now })
    const a = subscriber()
    const b = subscriber()
    for (now = 0; now < 2000; now += 250) fanout.deliver(lq, new Uint8Array([1]), [a.sub, b.sub])
    expect(published).toHaveLength(8)
    expect([a.s.reads, b.s.reads]).toEqual([2, 2]) // at 0 and 1000, not on each of the 8 deltas
  })

  it('conflates a subscription over slowClientBytes and disconnects one over maxClientBufferBytes at its next check', () => {
    let now = 0
    const fanout = createFanout({ slowClientBytes: 1000, maxClientBufferBytes: 10_000, publish: () => {}, bufferCheckMs: 1000, clock: () => now })
    const slow = subscriber()
    const stuck = subscriber()
    fanout.deliver(lq, new Uint8Array([1]), [slow.sub, stuck.sub])
    slow.s.buffered = 5000
    stuck.s.buffered = 50_000
    now = 500
    fanout.deliver(lq, new Uint8Array([1]), [slow.sub, stuck.sub])
    expect([slow.sub.state, stuck.s.ended]).toEqual(['live', undefined]) // not yet due
    now = 1000
    fanout.deliver(lq, new Uint8Array([1]), [slow.sub, stuck.sub])
    expect([slow.sub.state, slow.s.topics.has(lq.topic)]).toEqual(['stale', false])
    expect(stuck.s.ended).toBe(4408)
    expect(fanout.stats()).toEqual({ conflated: 1, disconnectedSlow: 1 })
  })
})
