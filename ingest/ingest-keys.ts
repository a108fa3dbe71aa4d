// Idempotency units already stored (clickhouse/schema/031_create_ingest_landing.sql): what lets a
// retried request, or a message sent twice to Kafka, be stored once.
import type { ClickHouseClient } from '@clickhouse/client'
import { createHash } from 'node:crypto'

/** Keys are ours (hex hashes, days, offsets): checked, then inlined, so no bound query parameter is needed. */
const keyRe = /^[\w:#.-]{1,200}$/

/** The unit key prefix of a request or message: a hash, so a client's key never reaches SQL or logs as sent. */
export const unitKeyOf = (...scope: string[]): string => createHash('sha256').update(scope.join('\n')).digest('hex').slice(0, 32)

/** Each key of `keys` already in ingest_keys, with the sources it was stored from. */
export async function storedKeys(ch: ClickHouseClient, keys: string[]): Promise<Map<string, Set<string>>> {
  const found = new Map<string, Set<string>>()
  if (keys.length === 0) return found
  for (const k of keys) if (!keyRe.test(k)) throw new Error(`not an ingest key: ${k.slice(0, 40)}`)
  const list = [...new Set(keys)].map((k) => `'${k}'`).join(',')
  const rs = await ch.query({ query: `SELECT key, groupUniqArray(source) AS sources FROM ingest_keys WHERE key IN (${list}) GROUP BY key`, format: 'JSONEachRow' })
  for (const r of await rs.json<{ key: string; sources: string[] }>()) found.set(r.key, new Set(r.sources))
  return found
}
