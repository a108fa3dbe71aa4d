import { describe, expect, it } from 'vitest'
import type { Stream } from '../../core/events.ts'
import type { Ingestor } from '../../ingest/ingestor.ts'
import { createAuth, generateSecret } from '../auth.ts'
import { createIngestRoutes } from './routes.ts'

const trade = { ts: 0, symbol: 'ACME', price: 1, qty: 1, side: 'buy' }
const body = [JSON.stringify(trade), '{bad'].join('\n')

describe('createIngestRoutes', () => {
  it('hands the body to the ingestor it is given (the one the demo generator shares)', async () => {
    const auth = createAuth(generateSecret())
    const seen: string[] = []
    const ingestor = { text: async (stream: Stream, text: string) => (seen.push(`${stream}:${text}`), { accepted: 1, rejected: 0, errors: [] }) } as unknown as Ingestor
    const app = createIngestRoutes({ auth, ingestor, maxBodyBytes: 1024 })
    const token = await auth.sign({ sub: 'p', roles: ['ingest'], symbols: ['*'], shops: ['*'] }, '1h')
    const res = await app.request('/v1/events/trades', { method: 'POST', body, headers: { authorization: `Bearer ${token}` } })
    expect([res.status, await res.json()]).toEqual([200, { accepted: 1, rejected: 0, errors: [] }])
    expect(seen).toEqual([`trades:${body}`])
  })
})
