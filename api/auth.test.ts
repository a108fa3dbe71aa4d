import { describe, expect, it } from 'vitest'
import { signHs256 } from '../test/support/jwt.ts'
import { createAuth } from './auth.ts'

describe('auth: verified tokens are remembered until they expire', () => {
  const secret = 'a-secret-which-is-long-enough-for-hs256'

  it('answers a repeated token from the cache and still refuses a tampered one', async () => {
    const auth = createAuth(secret)
    const token = await auth.sign({ sub: 'u', roles: ['trader'], symbols: ['*'] })
    const first = await auth.verify(token)
    expect(await auth.verify(token)).toBe(first)
    await expect(auth.verify(token.slice(0, -2) + (token.endsWith('xx') ? 'yy' : 'xx'))).rejects.toMatchObject({ code: 'INVALID_TOKEN' })
  })

  it('a cached token fails with TOKEN_EXPIRED once past exp', async () => {
    let now = Date.now()
    const auth = createAuth(secret, { now: () => now, clockToleranceS: 0 })
    const token = await auth.sign({ sub: 'u', roles: ['trader'] }, '1s')
    const first = await auth.verify(token)
    expect(await auth.verify(token)).toBe(first)
    now += 2100 // the injected clock passes exp: both the cache and the signature check see it
    await expect(auth.verify(token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' })
  })

  it('keeps at most cacheEntries tokens', async () => {
    const auth = createAuth(secret, { cacheEntries: 1 })
    const [a, b] = await Promise.all(['a', 'b'].map((sub) => auth.sign({ sub, roles: ['trader'] })))
    const pa = await auth.verify(a)
    await auth.verify(b)
    expect(await auth.verify(a)).not.toBe(pa) // evicted, verified again
  })

  it('drops the least recently used token first, not the oldest', async () => {
    const auth = createAuth(secret, { cacheEntries: 2 })
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => auth.sign({ sub, roles: ['trader'] })))
    const pa = await auth.verify(a)
    const pb = await auth.verify(b)
    expect(await auth.verify(a)).toBe(pa) // a is now the most recently used
    await auth.verify(c)
    expect(await auth.verify(a)).toBe(pa)
    expect(await auth.verify(b)).not.toBe(pb)
  })
})

describe('auth: signing', () => {
  const secret = 'a-secret-which-is-long-enough-for-hs256'
  it('signs a fresh jti each time, takes ttl like 90s/15m/7d, and a negative one for an expired token', async () => {
    const auth = createAuth(secret)
    const [a, b] = await Promise.all([auth.sign({ sub: 'u', roles: ['trader'] }, '7d'), auth.sign({ sub: 'u', roles: ['trader'] }, '90s')])
    const [pa, pb] = await Promise.all([auth.verify(a), auth.verify(b)])
    expect(pa.jti).not.toBe(pb.jti)
    expect(Math.round((pa.expiresAtMs! - Date.now()) / 3600_000)).toBe(168)
    await expect(auth.verify(await auth.sign({ sub: 'u', roles: ['trader'] }, '-1s'))).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' })
    for (const bad of ['', '7', 'soon', '0s', '401d', '-x']) await expect(auth.sign({ sub: 'u', roles: [] }, bad)).rejects.toMatchObject({ code: 'INVALID_PARAMETER' })
  })
})

describe('auth: claims', () => {
  const secret = 'a-secret-which-is-long-enough-for-hs256'
  /** A correctly signed HS256 token with any payload, built by hand so a library cannot refuse to sign it. */
  const hs256 = (payload: object) => signHs256(secret, payload)

  it('accepts a hand-signed token with a string sub (the helper signs correctly)', async () => {
    const p = await createAuth(secret).verify(hs256({ sub: 'u', roles: ['trader'], exp: Math.floor(Date.now() / 1000) + 60 }))
    expect(p.sub).toBe('u')
  })

  it('refuses a token whose sub is not a string (it would become "[object Object]"): INVALID_CLAIMS naming it', async () => {
    const auth = createAuth(secret)
    for (const sub of [{ a: 1 }, 42, ['x'], '']) {
      const token = hs256({ sub, roles: ['trader'], exp: Math.floor(Date.now() / 1000) + 60 })
      await expect(auth.verify(token)).rejects.toMatchObject({ code: 'INVALID_CLAIMS', details: { claim: 'sub' } })
    }
  })
})
