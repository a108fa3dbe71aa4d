/** A small in-process LRU with per-entry expiry (the L1 in front of Redis). */
export interface Lru<V> {
  get(key: string): V | undefined
  set(key: string, value: V, ttlMs: number): void
}

export function createLru<V>(maxEntries: number, now = Date.now): Lru<V> {
  // A Map iterates in insertion order: re-inserting on read makes the first key the least recent.
  const map = new Map<string, { value: V; expiresAt: number }>()
  return {
    get(key) {
      const e = map.get(key)
      if (!e) return undefined
      map.delete(key)
      if (e.expiresAt <= now()) return undefined
      map.set(key, e)
      return e.value
    },
    set(key, value, ttlMs) {
      map.delete(key)
      map.set(key, { value, expiresAt: now() + ttlMs })
      while (map.size > maxEntries) map.delete(map.keys().next().value!)
    },
  }
}
