/**
 * Exact decimals for the Decimal(18, S) columns: a JSON number or a decimal string becomes the
 * decimal text ClickHouse stores, rounded half away from zero to the column's scale. ClickHouse
 * itself would cut the extra digits (0.123456789 → 0.1234) and turn 1e-300 into 0 without a word.
 */

/** A decimal as a scaled integer: `units` / 10^scale. */
export interface Scaled {
  units: bigint
  scale: number
}

// Plain decimals as producers write them; exponents only through JSON numbers (String(1e-7) = '1e-7').
const decimalTextRe = /^-?\d{1,40}(\.\d{1,40})?$/
const numberTextRe = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i

/** Whether a string is a plain decimal (`-12.5`, `0.00000001`): what the schema accepts besides numbers. */
export const isDecimalText = (s: string): boolean => decimalTextRe.test(s)

/**
 * Rounds a finite number, or a plain decimal string, half away from zero to `scale` digits.
 * A number is taken as its shortest round-trip text (what `String(n)` prints), which is the
 * producer's own text whenever it had at most 15 significant digits.
 */
export function toScaled(value: number | string, scale: number): Scaled {
  const text = typeof value === 'number' ? String(value) : value
  const m = numberTextRe.exec(text)
  if (!m) throw new RangeError(`not a decimal: ${text}`)
  const [, sign, int, frac = '', exp = '0'] = m
  const digits = BigInt(int + frac)
  // value = digits × 10^(exponent − frac.length); scaled by 10^scale.
  const shift = Number(exp) - frac.length + scale
  let units: bigint
  if (shift >= 0) units = digits * 10n ** BigInt(shift)
  else if (-shift > 400) units = 0n // far below the last digit: rounds to 0 (1e-300 at 8 decimals)
  else {
    const divisor = 10n ** BigInt(-shift)
    units = digits / divisor
    if ((digits % divisor) * 2n >= divisor) units += 1n
  }
  return { units: sign === '-' ? -units : units, scale }
}

/** Scaled → the shortest exact decimal text ('0.1235', '10', '-0.5'). */
export function scaledText({ units, scale }: Scaled): string {
  const negative = units < 0n
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0')
  const int = digits.slice(0, digits.length - scale)
  const frac = digits.slice(digits.length - scale).replace(/0+$/, '')
  return `${negative ? '-' : ''}${int}${frac ? `.${frac}` : ''}`
}

/** 10^digits as units at `scale`: the exclusive upper bound of a Decimal with `digits` integer digits. */
export const powerOfTen = (digits: number, scale: number): bigint => 10n ** BigInt(digits + scale)

/**
 * The text to store when it needs no rounding, else undefined: the common case (a price with
 * at most `scale` decimals) costs one String() and a scan, no BigInt.
 */
export function exactText(value: number, scale: number): string | undefined {
  const text = String(value)
  if (text.includes('e')) return undefined
  const dot = text.indexOf('.')
  return dot === -1 || text.length - dot - 1 <= scale ? text : undefined
}
