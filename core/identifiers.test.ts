import { describe, expect, it } from 'vitest'
import { identifierJsonSchema, identifierSchema, isIdentifier } from './identifiers.ts'

describe('identifiers', () => {
  it('takes shop ids with spaces and @, as producers send them', () => {
    for (const shop of ['ACME Store', 'acme@eu', 'shop-1', 'Café 😀', 'a'.repeat(128)]) expect([shop, isIdentifier('shop', shop)]).toEqual([shop, true])
  })

  it('refuses control characters, lone surrogates, spaces at either end, empty and over-long ids', () => {
    for (const shop of ['', ' ', ' x', 'x ', 'a\nb', 'a\u0000', 'x\ud800', 'x\ud83d', 'a'.repeat(129), 42]) expect([shop, isIdentifier('shop', shop)]).toEqual([shop, false])
  })

  it('keeps symbols upper case, 1–32 of A-Z 0-9 . - _ /', () => {
    expect(['BTC-USD', 'ES.F/H26', 'A_1'].map((s) => isIdentifier('symbol', s))).toEqual([true, true, true])
    expect(['btc', 'ACME CORP', 'A'.repeat(33), ''].map((s) => isIdentifier('symbol', s))).toEqual([false, false, false, false])
  })

  it('gives zod and JSON-Schema forms of the same rule', () => {
    expect(identifierSchema('shop').safeParse('ACME Store').success).toBe(true)
    expect(identifierSchema('shop').safeParse(' ACME').success).toBe(false)
    const json = identifierJsonSchema('shop')
    expect(new RegExp(json.pattern, 'u').test('acme@eu')).toBe(true)
    expect(json.maxLength).toBe(128)
  })
})
