// The fenced Redis writes of replication (lease.ts) against a real Redis.
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { createLeaseStore } from './lease.ts'

const redisUrl = process.env.LIVEHOUSE_TEST_REDIS_URL
if (!redisUrl) throw new Error('LIVEHOUSE_TEST_REDIS_URL is required (npm test starts a Redis)')
const prefix = `test-lease-${process.pid}-${Date.now()}:`
const clients: Redis[] = []
const client = () => {
  const c = new Redis(redisUrl!)
  clients.push(c)
  return c
}
afterAll(async () => {
  const c = client()
  const keys = await c.keys(`${prefix}*`)
  if (keys.length) await c.del(...keys)
  for (const x of clients) x.disconnect()
})

const state = (seq: number) => ({ seq, watermark: 1000, rows: [[1000, 1]] })

describe('lease store', () => {
  it('lets only the holder publish, renew and release', async () => {
    const a = createLeaseStore(client(), { prefix, me: 'a', leaseMs: 60_000, stateTtlMs: 60_000 })
    const b = createLeaseStore(client(), { prefix, me: 'b', leaseMs: 60_000, stateTtlMs: 60_000 })
    expect([await a.tryLease('t1'), await b.tryLease('t1')]).toEqual([true, false])
    expect([await a.publish('t1', state(1)), await b.publish('t1', state(99))]).toEqual([true, false])
    expect((await b.readState('t1'))?.seq).toBe(1)
    expect([await a.renew('t1'), await b.renew('t1')]).toEqual([true, false])
    await b.release('t1') // not the holder: nothing happens
    expect(await b.tryLease('t1')).toBe(false)
    await a.release('t1')
    expect(await b.tryLease('t1')).toBe(true)
  })

  it('publishes the frame to the followers, and an empty message when the holder lets go', async () => {
    const a = createLeaseStore(client(), { prefix, me: 'a', leaseMs: 60_000, stateTtlMs: 60_000 })
    const sub = client()
    const messages: Buffer[] = []
    sub.on('messageBuffer', (_channel: Buffer, m: Buffer) => messages.push(m))
    await sub.subscribe(a.channelOf('t2'))
    expect(await a.tryLease('t2')).toBe(true)
    expect(await a.publish('t2', state(1), new Uint8Array([1, 2, 3]))).toBe(true)
    await a.release('t2')
    await eventually(() => expect(messages.map((m) => [...m])).toEqual([[1, 2, 3], []]))
  })
})
