import { describe, expect, it } from 'vitest'
import { assignRoundRobin } from './kafka-assigner.ts'
import { parseIntent } from './kafka-consumer.ts'

describe('parseIntent', () => {
  it('reads the unit end a consumer committed, and treats any other metadata as no intent', () => {
    expect(parseIntent('{"unitEnd":"1234"}')).toBe(1234n)
    for (const other of [null, undefined, '', 'not json', '{"unitEnd":12}', '{"unitEnd":"-1"}', '{"other":"1"}', '[]']) expect(parseIntent(other)).toBeNull()
  })
})

describe('assignRoundRobin', () => {
  it('gives a topic\'s partitions only to members subscribed to it, and spreads one-partition topics over the members', () => {
    const subscribers = new Map([['a.trades', ['m2', 'm1']], ['a.orders', ['m1', 'm2']], ['b.trades', ['m3']]])
    const assignment = assignRoundRobin(subscribers, (t) => (t === 'a.trades' ? [1, 0] : [0]))
    expect(Object.fromEntries(assignment)).toEqual({
      m1: { 'a.orders': [0], 'a.trades': [1] },
      m2: { 'a.trades': [0] },
      m3: { 'b.trades': [0] },
    })
  })
})
