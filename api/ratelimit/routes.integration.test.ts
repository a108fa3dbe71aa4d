// Every authenticated API is rate-limited, against the real gateway: the analysts' SQL door
// (/api/v1/sql), the dashboards API and the alerts API, per token and per peer address.
import { beforeAll, describe, expect, it } from 'vitest'
import { auth, tokenFor, type TestGateway } from '../../test/support/gateway.ts'
import { gatewayForFile, gatewayProcessesForFile } from '../../test/support/gateway-file.ts'

const perTokenPerS = 3
const file = gatewayForFile({ RATE_LIMIT_TOKEN_PER_S: String(perTokenPerS), RATE_LIMIT_IP_PER_S: '1000' })

/** Sends `n` requests at once; the statuses, and the codes and Retry-After of the 429s. */
async function burst(n: number, request: () => Promise<Response>) {
  const answers = await Promise.all(Array.from({ length: n }, request))
  const limited = answers.filter((r) => r.status === 429)
  return {
    statuses: new Set(answers.map((r) => r.status)),
    limited: await Promise.all(limited.map(async (r) => [(await r.json()).error.code, Number(r.headers.get('retry-after'))])),
  }
}

// 40 requests at once against 3 per second: even spread over several one-second windows on a
// slow machine, some window holds more than 3.
describe('per token', () => {
  it('limits /api/v1/sql', async () => {
    const token = await tokenFor(['analyst'])
    const { statuses, limited } = await burst(40, () => fetch(`${file.gw.url}/api/v1/sql?query=SELECT%201`, { headers: { authorization: `Bearer ${token}` } }))
    expect(statuses.has(200)).toBe(true)
    expect(limited.length).toBeGreaterThan(0)
    for (const [code, retryAfter] of limited) expect([code, retryAfter >= 1]).toEqual(['RATE_LIMITED', true])
  })

  it('limits the dashboards API', async () => {
    const token = await tokenFor(['seller'])
    const { statuses, limited } = await burst(40, () => fetch(`${file.gw.url}/api/v1/dashboards`, { headers: { authorization: `Bearer ${token}` } }))
    expect(statuses.has(200)).toBe(true)
    expect(limited.length).toBeGreaterThan(0)
    for (const [code] of limited) expect(code).toBe('RATE_LIMITED')
  })

  it('limits the alerts API, the SSE stream included', async () => {
    for (const path of ['/api/v1/alerts/rules', '/api/v1/alerts/history']) {
      const token = await auth.sign({ sub: `rl-alerts${path}`, roles: ['trader'] }, '1h') // a budget of its own per path
      const { statuses, limited } = await burst(40, () => fetch(`${file.gw.url}${path}`, { headers: { authorization: `Bearer ${token}` } }))
      expect([path, statuses.has(200), limited.length > 0]).toEqual([path, true, true])
      for (const [code] of limited) expect(code).toBe('RATE_LIMITED')
    }
    // EventSource sends the token in the URL: counted per token all the same.
    const token = await tokenFor(['trader'])
    const streams = await burst(40, () => fetch(`${file.gw.url}/api/v1/alerts/stream?access_token=${token}`).then(async (r) => (r.status === 200 && (await r.body?.cancel()), r)))
    expect(streams.limited.map(([code]) => code)).toContain('RATE_LIMITED')
  })

  it('counts per token subject: another user is not limited by the first one', async () => {
    const [a, b] = await Promise.all(['rl-a', 'rl-b'].map((sub) => auth.sign({ sub, roles: ['seller'] }, '1h')))
    const { limited } = await burst(40, () => fetch(`${file.gw.url}/api/v1/dashboards`, { headers: { authorization: `Bearer ${a}` } }))
    expect(limited.length).toBeGreaterThan(0)
    const r = await fetch(`${file.gw.url}/api/v1/dashboards`, { headers: { authorization: `Bearer ${b}` } })
    expect(r.status).not.toBe(429)
  })
})

describe('per peer address, before authentication', () => {
  // A second gateway, in its own process (one embedded engine per process).
  const processes = gatewayProcessesForFile()
  let strict: TestGateway
  beforeAll(async () => {
    strict = await processes.start({ RATE_LIMIT_TOKEN_PER_S: '1000', RATE_LIMIT_IP_PER_S: '3', HOST: '127.0.0.1' })
  }, 300_000) // a gateway process: startGateway allows it 180 s on a loaded machine

  it('refuses floods of unauthenticated requests to /api/v1/sql and the dashboards with 429', async () => {
    for (const path of ['/api/v1/sql?query=SELECT%201', '/api/v1/dashboards', '/api/v1/alerts/rules']) {
      const { statuses, limited } = await burst(40, () => fetch(`${strict.url}${path}`))
      expect([path, statuses.has(200)]).toEqual([path, false])
      expect([path, limited.length > 0]).toEqual([path, true])
    }
  })
})
