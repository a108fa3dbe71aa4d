import { LRUCache } from 'lru-cache'

/** A small in-process LRU with per-entry expiry (the L1 in front of Redis; verified tokens). */
export interface Lru<V> {
  get(key: string): V | undefined
  set(key: string, value: V, ttlMs: number): void
}

/** `lru-cache` with a per-entry ttl; `now` is for tests (a clock they move by hand). */
export function createLru<V extends object | string | number | boolean>(maxEntries: number, now?: () => number): Lru<V> {
  if (maxEntries < 1) return { get: () => undefined, set() {} }
  const cache = new LRUCache<string, V>({ max: maxEntries, ttl: 0, ...(now && { perf: { now }, ttlResolution: 0 }) })
  return {
    get: (key) => cache.get(key),
    // lru-cache reads a ttl of 0 as "never expires": an entry already past its time is not kept at all.
    set: (key, value, ttlMs) => void (ttlMs > 0 ? cache.set(key, value, { ttl: ttlMs }) : cache.delete(key)),
  }
}
