import { describe, expect, it } from 'vitest'
import { exactText, isDecimalText, scaledText, toScaled } from './decimal.ts'

const round = (v: number | string, scale: number) => scaledText(toScaled(v, scale))

describe('toScaled + scaledText', () => {
  it('rounds half away from zero at the scale, from numbers and decimal strings', () => {
    expect(round(0.123456789, 4)).toBe('0.1235')
    expect(round(0.12345, 4)).toBe('0.1235')
    expect(round(0.12344999, 4)).toBe('0.1234')
    expect(round('-0.00005', 4)).toBe('-0.0001')
    expect(round(2.5, 0)).toBe('3')
    expect(round(-2.5, 0)).toBe('-3')
    // 1.005 is 1.00499999999999989… as a double, but its text is 1.005: the producer's digits count.
    expect(round(1.005, 2)).toBe('1.01')
  })

  it('reads exponents exactly and rounds what is far below the last digit to 0', () => {
    expect(round(1e-7, 8)).toBe('0.0000001')
    expect(round(1.5e-9, 8)).toBe('0')
    expect(round(5e-9, 8)).toBe('0.00000001')
    expect(round(1e-300, 8)).toBe('0')
    expect(round(1.5e21, 2)).toBe('1500000000000000000000')
    expect(toScaled(1e-300, 8).units).toBe(0n)
  })

  it('keeps every digit of a long decimal string', () => {
    expect(round('9999999999.99999999', 8)).toBe('9999999999.99999999')
    expect(round('123456789012345.123456785', 8)).toBe('123456789012345.12345679')
    expect(round('10.10000000', 8)).toBe('10.1')
    expect(round('0', 8)).toBe('0')
  })
})

describe('isDecimalText and exactText', () => {
  it('accepts plain decimals only', () => {
    for (const ok of ['0', '-1', '10.5', '0.00000001']) expect(isDecimalText(ok)).toBe(true)
    for (const bad of ['', '1e5', '.5', '5.', ' 5', '+5', '0x10', 'NaN', '1,5']) expect(isDecimalText(bad)).toBe(false)
  })

  it('returns the text of a number that needs no rounding and undefined otherwise', () => {
    expect(exactText(10.25, 4)).toBe('10.25')
    expect(exactText(3, 4)).toBe('3')
    expect(exactText(0.12345, 4)).toBeUndefined()
    expect(exactText(1e-7, 8)).toBeUndefined()
  })
})
