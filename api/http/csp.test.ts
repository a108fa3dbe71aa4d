import { describe, expect, it } from 'vitest'
import { policyFor } from './csp.ts'

const directives = (policy: string) => Object.fromEntries(policy.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]))

describe('Content-Security-Policy and an OpenID Connect provider', () => {
  it('without one: same-origin connections only, and no framing at all', () => {
    const d = directives(policyFor([]))
    expect([d['connect-src'], d['frame-ancestors'], d['frame-src']]).toEqual(["'self'", "'none'", undefined])
  })

  it('with one: its origin for discovery, tokens and the renewal iframe; our page may frame only itself', () => {
    const d = directives(policyFor(['abc'], undefined, { identityProvider: 'https://sso.example.com/realms/livehouse' }))
    expect([d['connect-src'], d['frame-src'], d['frame-ancestors'], d['script-src']]).toEqual([
      "'self' https://sso.example.com", "'self' https://sso.example.com", "'self'", "'self' 'sha256-abc'",
    ])
  })
})
