// Pushed channels (push-channel.ts) through the live session as a socket sees them: admitted
// and counted like any channel, a snapshot then one DELTA per push with the subscription's own
// cid and seq, conflation of a slow client with a snapshot since the newest row it got, and an
// unreadable snapshot ending the subscription with UNAVAILABLE. The rows' source is a fake;
// the alerts channel over the real gateway is api/alerts/alerts.integration.test.ts.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Principal } from '../../core/roles.ts'
import { createLogger } from '../log.ts'
import { C, decodeServerFrame, encodeClientFrame, S, toRows, type Cell, type ClientFrame, type ServerFrame } from '../protocol/index.ts'
import type { Socket } from '../transport/websocket.ts'
import { InvariantChecker } from '../../test/support/protocol-invariants.ts'
import type { LiveBroker } from './broker.ts'
import { Connection } from './connection.ts'
import { createFanout } from './fanout.ts'
import type { PushChannel, PushSink } from './push-channel.ts'
import { createRegistry } from './registry.ts'
import { createSession } from './session.ts'

const limits = { maxConnectionsPerToken: 0, maxConnectionsPerIp: 0, maxChannelsPerToken: 2, maxUnseenChannelsPerToken: 0, maxUnseenChannels: 0 }
const slowClientBytes = 1000

/** A pushed channel whose rows the test hands out: every open subscription's sink, `since` and calls. */
function fakeChannel() {
  const opened: { sink: PushSink; since: number | null; resyncs: (number | null)[]; closed: boolean }[] = []
  const channel: PushChannel<Record<string, never>> = {
    // Named as a channel api/access.ts has a rule for (trader or seller, no scope): who may subscribe is the module's.
    name: 'alerts',
    meta: { columns: ['t', 'id', 'v'], key: [1], time: 0 },
    parse: (raw) => z.object({}).strict().parse(raw),
    topic: (p) => `pushed/${p.sub}`,
    open({ since }, sink) {
      const o = { sink, since, resyncs: [] as (number | null)[], closed: false }
      opened.push(o)
      return { resync: (from) => void o.resyncs.push(from), close: () => void (o.closed = true) }
    },
  }
  return { channel, opened }
}

function setup() {
  const { channel, opened } = fakeChannel()
  const registry = createRegistry(limits)
  const fanout = createFanout({ slowClientBytes, maxClientBufferBytes: 100_000, publish: () => {} })
  const session = createSession({
    auth: undefined as never, tokenWatch: { watch: () => () => {}, size: () => 0, close() {} }, log: createLogger('silent'), maxFramesPerS: 1000, maxStrikesPerMin: 100, maxSubscriptions: 10, maxFrameBytes: 4096,
    maxClientBufferBytes: 100_000, registry, fanout, entities: { seen: () => true, refresh: async () => {}, start() {}, stop() {} },
    broker: () => ({}) as LiveBroker, pushChannels: new Map([[channel.name, channel]]),
    limits: { maxSubscriptions: 10, maxFrameBytes: 4096, maxFramesPerSecond: 1000, tickMs: 100, snapshotBuckets: 10, maxChannelsPerToken: 2, maxUnseenChannelsPerToken: 0 },
  })
  const connect = (principal: Principal) => {
    const conn = new Connection(principal, '10.0.0.1', { maxFramesPerS: 1000, maxStrikesPerMin: 100 }, Date.now())
    const frames: ServerFrame[] = []
    const checker = new InvariantChecker()
    const state = { buffered: 0, ended: 0 }
    const socket: Socket<Connection> = {
      data: conn,
      send: (bytes) => {
        const f = decodeServerFrame(bytes)
        frames.push(f)
        checker.check(f)
        return 'sent'
      },
      bufferedBytes: () => state.buffered,
      subscribe: () => {},
      unsubscribe: () => {},
      end: () => void state.ended++,
      cork: (fn) => fn(),
    }
    session.open(socket)
    const send = (f: ClientFrame) => session.message(socket, encodeClientFrame(f), true)
    const errors = () => frames.flatMap((f) => (f.type === S.ERROR ? [[f.sid, f.reason]] : []))
    // drain: the transport's event when the socket's buffer has emptied.
    return { conn, socket, frames, checker, state, send, errors, drain: () => session.drain(socket), close: () => session.close(socket, 1000) }
  }
  return { opened, registry, connect }
}

const trader = (sub = 'u'): Principal => ({ sub, roles: new Set(['trader']), symbols: '*', shops: '*' })
const row = (t: number, id: string, v: number): Cell[] => [t, id, v]
const subscribe = (sid: number, params: Record<string, unknown> = {}, resume?: { seq: number; t: number }): ClientFrame =>
  ({ op: C.SUBSCRIBE, sid, channel: 'alerts', params, resume })

describe('pushed channels in the live session', () => {
  it('sends the snapshot, then each push as a DELTA with the subscription\'s own cid and seq', () => {
    const { opened, connect } = setup()
    const c = connect(trader())
    c.send(subscribe(1))
    expect(opened.map((o) => o.since)).toEqual([null])
    opened[0].sink.append([row(1000, 'early', 1)]) // a source may not push before its snapshot; nothing goes out
    opened[0].sink.snapshot([row(1000, 'a', 1), row(2000, 'b', 2)], null)
    opened[0].sink.append([row(3000, 'c', 3)])
    opened[0].sink.append([row(4000, 'd', 4)])
    const [snapshot, ...deltas] = c.frames.filter((f) => f.type !== S.HELLO)
    expect(snapshot).toMatchObject({ type: S.SNAPSHOT, sid: 1, seq: 0, since: null })
    const cid = snapshot.type === S.SNAPSHOT ? snapshot.cid : -1
    expect(cid).toBeGreaterThanOrEqual(2 ** 30) // never a live query's
    expect(deltas.map((d) => d.type === S.DELTA && [d.cid, d.seq, toRows(d.append!, d.base, 0)])).toEqual([
      [cid, 1, [row(3000, 'c', 3)]], [cid, 2, [row(4000, 'd', 4)]],
    ])
    expect(c.checker.violations).toEqual([])
  })

  it('passes a resume\'s t as the snapshot\'s since, and RESYNC asks the source for a fresh snapshot', () => {
    const { opened, connect } = setup()
    const c = connect(trader())
    c.send(subscribe(1, {}, { seq: 4, t: 5000 }))
    expect(opened[0].since).toBe(5000)
    opened[0].sink.snapshot([row(5000, 'x', 1)], 5000)
    c.send({ op: C.RESYNC, sid: 1 })
    expect(opened[0].resyncs).toEqual([null])
    expect(c.frames.find((f) => f.type === S.SNAPSHOT)).toMatchObject({ since: 5000 })
  })

  it('admits as any channel: params, role, one per connection, the token\'s channel limit; and lets go on unsubscribe and close', () => {
    const { opened, registry, connect } = setup()
    const c = connect(trader())
    c.send(subscribe(1, { owner: 'someone-else' }))
    const analyst = connect({ ...trader('s'), roles: new Set(['analyst']) })
    analyst.send(subscribe(1))
    expect(analyst.errors()).toEqual([[1, 'FORBIDDEN']])
    c.send(subscribe(2))
    c.send(subscribe(3))
    expect(c.errors()).toEqual([[1, 'BAD_ARGUMENT'], [3, 'ALREADY_SUBSCRIBED']])
    expect(opened).toHaveLength(1)
    // Two channels per token (limits): a second connection shares this one's, a third channel is refused.
    const d = connect(trader())
    d.send(subscribe(1))
    expect(registry.admitChannel('u', 'other', false)).toBeUndefined()
    expect(registry.admitChannel('u', 'third', false)).toBe('TOO_MANY_CHANNELS')
    c.send({ op: C.UNSUBSCRIBE, sid: 2 })
    expect(c.frames.at(-1)).toEqual({ type: S.UNSUBSCRIBED, sid: 2 })
    expect(opened.map((o) => o.closed)).toEqual([true, false])
    d.close()
    expect(opened.map((o) => o.closed)).toEqual([true, true])
    expect(registry.admitChannel('u', 'third', false)).toBeUndefined() // both subscriptions released the topic
  })

  it('conflates a slow client and, once it drains, asks for the rows since the newest it got', () => {
    const { opened, connect } = setup()
    const c = connect(trader())
    c.send(subscribe(1))
    const { sink } = opened[0]
    sink.snapshot([row(1000, 'a', 1)], null)
    sink.append([row(2000, 'b', 2)])
    c.state.buffered = slowClientBytes + 1
    sink.append([row(3000, 'c', 3)]) // conflated: not sent
    sink.append([row(4000, 'd', 4)])
    expect(c.frames.filter((f) => f.type === S.DELTA)).toHaveLength(1)
    c.state.buffered = 0
    c.drain()
    expect(opened[0].resyncs).toEqual([2000])
    sink.snapshot([row(3000, 'c', 3), row(4000, 'd', 4)], 2000)
    sink.append([row(5000, 'e', 5)])
    const after = c.frames.slice(-2)
    expect(after.map((f) => f.type)).toEqual([S.SNAPSHOT, S.DELTA])
    expect(after[0]).toMatchObject({ since: 2000, seq: 1 })
    expect(after[1]).toMatchObject({ seq: 2 })
    expect(c.checker.violations).toEqual([])
  })

  it('ends the subscription with UNAVAILABLE when the snapshot cannot be read; the sid is free again', () => {
    const { opened, connect } = setup()
    const c = connect(trader())
    c.send(subscribe(1))
    opened[0].sink.failed(new Error('history unreadable'))
    expect(c.errors()).toEqual([[1, 'UNAVAILABLE']])
    expect(c.frames.at(-1)).toMatchObject({ temporary: true })
    expect(opened[0].closed).toBe(true)
    opened[0].sink.append([row(1000, 'late', 1)]) // a stale source's push goes nowhere
    c.send(subscribe(1))
    expect(opened).toHaveLength(2)
    expect(c.errors()).toHaveLength(1)
  })
})

