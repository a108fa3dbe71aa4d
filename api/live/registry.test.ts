import { describe, expect, it } from 'vitest'
import type { Subscription } from './connection.ts'
import { createRegistry } from './registry.ts'

const limits = { maxConnectionsPerToken: 2, maxConnectionsPerIp: 3, maxChannelsPerToken: 3, maxUnseenChannelsPerToken: 2, maxUnseenChannels: 3 }

describe('registry: connections', () => {
  it('refuses a token or an address at its limit, and counts closes', () => {
    const r = createRegistry(limits)
    expect(r.refuseConnection('a', 'ip1')).toBeUndefined()
    r.openConnection('a', 'ip1')
    r.openConnection('a', 'ip2')
    expect(r.refuseConnection('a', 'ip3')).toMatch(/per token/)
    r.openConnection('b', 'ip1')
    r.openConnection('c', 'ip1')
    expect(r.refuseConnection('d', 'ip1')).toMatch(/per address/)
    r.closeConnection('a', 'ip1')
    expect([r.refuseConnection('a', 'ip3'), r.refuseConnection('d', 'ip1')]).toEqual([undefined, undefined])
  })

  it('has no limit at 0', () => {
    const r = createRegistry({ ...limits, maxConnectionsPerToken: 0, maxConnectionsPerIp: 0 })
    for (let i = 0; i < 100; i++) r.openConnection('a', 'ip')
    expect(r.refuseConnection('a', 'ip')).toBeUndefined()
  })
})

describe('registry: channels', () => {
  it('counts distinct channels per token; the same one twice counts once, until both are released', () => {
    const r = createRegistry(limits)
    expect(['t1', 't2', 't1', 't3'].map((t) => r.admitChannel('a', t, false))).toEqual([undefined, undefined, undefined, undefined])
    expect(r.admitChannel('a', 't4', false)).toBe('TOO_MANY_CHANNELS')
    expect(r.admitChannel('b', 't4', false)).toBeUndefined() // another token
    r.releaseChannel('a', 't1')
    expect(r.admitChannel('a', 't4', false)).toBe('TOO_MANY_CHANNELS') // t1 is still held once
    r.releaseChannel('a', 't1')
    expect(r.admitChannel('a', 't4', false)).toBeUndefined()
  })

  it('caps never-seen channels per token and over all tokens, but not joining one already running', () => {
    const r = createRegistry(limits)
    expect([r.admitChannel('a', 'u1', true), r.admitChannel('a', 'u2', true), r.admitChannel('a', 'u3', true)]).toEqual([undefined, undefined, 'NEVER_SEEN'])
    expect(r.admitChannel('a', 's1', false)).toBeUndefined() // seen ones still pass
    expect(r.admitChannel('b', 'u3', true)).toBeUndefined() // 3 never-seen channels in all now
    expect(r.admitChannel('b', 'u4', true)).toBe('NEVER_SEEN')
    expect(r.admitChannel('b', 'u1', true)).toBeUndefined() // already running for a
    expect(r.stats().unseenChannels).toBe(3)
    r.releaseChannel('a', 'u1')
    expect(r.stats().unseenChannels).toBe(3) // b still holds u1
    r.releaseChannel('b', 'u1')
    r.releaseChannel('a', 'u2')
    expect(r.stats().unseenChannels).toBe(1)
    expect(r.admitChannel('b', 'u4', true)).toBeUndefined()
  })

  it('forgets a token with nothing left, and ignores releases of what it never held', () => {
    const r = createRegistry(limits)
    r.admitChannel('a', 't', true)
    r.releaseChannel('a', 'other')
    r.releaseChannel('nobody', 't')
    expect(r.stats()).toEqual({ tokens: 1, addresses: 0, unseenChannels: 1 })
    r.releaseChannel('a', 't')
    expect(r.stats()).toEqual({ tokens: 0, addresses: 0, unseenChannels: 0 })
  })
})

describe('registry: fan-out index', () => {
  it('lists the subscriptions of a live query until they are removed', () => {
    const r = createRegistry(limits)
    const sub = (cid: number, sid: number) => ({ sid, w: { lq: { cid } } }) as unknown as Subscription
    const [a, b, c] = [sub(1, 1), sub(1, 2), sub(2, 1)]
    for (const s of [a, b, c]) r.add(s)
    expect([...r.subscribersOf(1)!]).toEqual([a, b])
    r.remove(a)
    r.remove(b)
    expect([r.subscribersOf(1), [...r.subscribersOf(2)!]]).toEqual([undefined, [c]])
  })
})
