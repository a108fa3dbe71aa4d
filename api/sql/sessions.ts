import { sqlError } from './errors.ts'

/**
 * `session_id` sessions, as ClickHouse keeps them: per user (another user's request with the
 * same id gets a session of its own, never this one), one request at a time (a second gets
 * SESSION_IS_LOCKED), gone after `session_timeout` seconds idle. What an analyst session
 * holds is its database (`USE`): writes, temporary tables and SET are refused on the port.
 */
export interface SessionState {
  database: string
}

export interface Sessions {
  /** The session for (user, id), created unless `check`; locked until `release`. */
  acquire(user: string, id: string, timeoutS: number, check: boolean): { state: SessionState; release(): void }
  size(): number
  close(): void
}

export function createSessions(o: { defaultTimeoutS: number; maxTimeoutS: number; maxPerUser: number }): Sessions {
  const sessions = new Map<string, { state: SessionState; busy: boolean; timer?: NodeJS.Timeout; timeoutS: number }>()
  const expire = (key: string) => {
    const s = sessions.get(key)
    if (!s) return
    clearTimeout(s.timer)
    s.timer = setTimeout(() => sessions.delete(key), s.timeoutS * 1000)
    s.timer.unref()
  }
  return {
    acquire(user, id, timeoutS, check) {
      if (!/^[\w.:@-]{1,128}$/.test(id)) throw sqlError('BAD_ARGUMENTS', 'session_id must be 1 to 128 letters, digits or ._:@-')
      if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > o.maxTimeoutS) {
        throw sqlError('BAD_ARGUMENTS', `Session timeout must be between 1 and ${o.maxTimeoutS} seconds`)
      }
      const key = `${user}\u0000${id}`
      let s = sessions.get(key)
      if (!s) {
        if (check) throw sqlError('SESSION_NOT_FOUND', `Session ${id} not found`)
        const mine = [...sessions.keys()].filter((k) => k.startsWith(`${user}\u0000`)).length
        if (mine >= o.maxPerUser) throw sqlError('TOO_MANY_SIMULTANEOUS_QUERIES', `Too many sessions for user ${user}: at most ${o.maxPerUser}`)
        s = { state: { database: 'default' }, busy: false, timeoutS }
        sessions.set(key, s)
      }
      if (s.busy) throw sqlError('SESSION_IS_LOCKED', `Session ${id} is locked by a concurrent client`)
      s.busy = true
      s.timeoutS = timeoutS
      clearTimeout(s.timer)
      const held = s
      return {
        state: s.state,
        release() {
          held.busy = false
          expire(key)
        },
      }
    },
    size: () => sessions.size,
    close() {
      for (const s of sessions.values()) clearTimeout(s.timer)
      sessions.clear()
    },
  }
}
