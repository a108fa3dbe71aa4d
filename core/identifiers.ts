// One rule per identifier: what ingestion accepts is exactly what catalog parameters,
// the OpenAPI document, live channel params and alert rules take, so anything stored can
// be queried, watched and alerted on.
import { z } from 'zod'

export interface IdentifierRule {
  /** Anchored; with the `u` flag, so lengths count code points and lone surrogates never match. */
  pattern: RegExp
  maxLength: number
  /** What a client is told when a value breaks the rule. */
  description: string
}

/** Market symbols: upper case, as exchanges write them. */
const symbol: IdentifierRule = {
  pattern: /^[A-Z0-9._/-]{1,32}$/u,
  maxLength: 32,
  description: '1–32 of A-Z 0-9 . - _ /',
}

/**
 * Shop, product, customer, order and session ids: any text a producer uses (`ACME Store`,
 * `acme@eu`), 1–128 characters, with no control characters or lone surrogates (ClickHouse
 * would refuse them) and no space at either end (two ids that look the same must be the same).
 */
const text: IdentifierRule = {
  pattern: /^(?![\s])[^\p{Cc}\p{Cs}]{1,128}(?<![\s])$/u,
  maxLength: 128,
  description: '1–128 characters, no control characters, no space at either end',
}

export const identifiers = {
  symbol,
  shop: text,
  product: text,
  customer: text,
  order: text,
  session: text,
  /** A trade's own id (generated when absent). */
  event: text,
} as const satisfies Record<string, IdentifierRule>

export type IdentifierKind = keyof typeof identifiers

export const isIdentifier = (kind: IdentifierKind, value: unknown): value is string =>
  typeof value === 'string' && identifiers[kind].pattern.test(value)

/** The zod schema of an identifier (live channel params, alert rules, request bodies). */
export const identifierSchema = (kind: IdentifierKind) =>
  z.string().regex(identifiers[kind].pattern, `expected ${identifiers[kind].description}`)

/** The OpenAPI/JSON-Schema of an identifier. */
export const identifierJsonSchema = (kind: IdentifierKind) => ({
  type: 'string',
  pattern: identifiers[kind].pattern.source,
  maxLength: identifiers[kind].maxLength,
  description: identifiers[kind].description,
})
