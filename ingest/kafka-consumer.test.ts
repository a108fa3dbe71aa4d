import { describe, expect, it } from 'vitest'
import { parseIntent } from './kafka-consumer.ts'

describe('parseIntent', () => {
  it('reads the unit end a consumer committed, and treats any other metadata as no intent', () => {
    expect(parseIntent('{"unitEnd":"1234"}')).toBe(1234n)
    for (const other of [null, undefined, '', 'not json', '{"unitEnd":12}', '{"unitEnd":"-1"}', '{"other":"1"}', '[]']) expect(parseIntent(other)).toBeNull()
  })
})
