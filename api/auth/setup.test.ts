// AUTH_* configuration: combinations that cannot work are refused at start, and setupAuth
// picks the secret, demo mode and what the sign-in page is told.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../config.ts'
import { createLogger } from '../log.ts'
import { setupAuth } from './setup.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
const dataDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'livehouse-setup-'))
  dirs.push(d)
  return d
}
const log = createLogger('silent')

describe('AUTH_* configuration', () => {
  it('refuses combinations that cannot work, naming the key', () => {
    const idp = { AUTH_JWKS_URL: 'https://idp.example/jwks' }
    expect(() => loadConfig({ CLICKHOUSE_URL: 'http://ch:8123' })).toThrow(/AUTH_SECRET or AUTH_JWKS_URL/)
    expect(() => loadConfig({ ...idp, AUTH_AUDIENCE: 'api' })).toThrow(/AUTH_ISSUER: required/)
    expect(() => loadConfig({ ...idp, AUTH_ISSUER: 'https://idp.example' })).toThrow(/AUTH_AUDIENCE: required/)
    expect(() => loadConfig({ AUTH_OIDC_ISSUER: 'https://idp.example', AUTH_OIDC_CLIENT_ID: 'ui' })).toThrow(/AUTH_JWKS_URL: required with AUTH_OIDC_ISSUER/)
    expect(() => loadConfig({ AUTH_ROLE_MAP: 'lh-trader=king' })).toThrow(/AUTH_ROLE_MAP/)
    expect(() => loadConfig({ AUTH_ALGORITHMS: 'HS256' })).toThrow(/AUTH_ALGORITHMS/)
    expect(() => loadConfig({ AUTH_DEMO: 'on', CLICKHOUSE_URL: 'http://ch:8123', AUTH_SECRET: 'x'.repeat(32) })).toThrow(/AUTH_DEMO/)
    const c = loadConfig({ ...idp, AUTH_ISSUER: 'https://idp.example', AUTH_AUDIENCE: 'a, b', AUTH_CLAIM_ROLES: 'realm_access.roles, resource_access.ui.roles', AUTH_ROLE_MAP: 'lh-trader=trader, ops=admin' })
    expect([c.AUTH_CLAIM_ROLES, c.AUTH_ROLE_MAP, c.AUTH_ALGORITHMS]).toEqual([['realm_access.roles', 'resource_access.ui.roles'], { 'lh-trader': 'trader', ops: 'admin' }, ['RS256', 'ES256']])
  })

  it('embedded without a secret: a kept secret and demo mode; with AUTH_SECRET: neither', async () => {
    const dir = dataDir()
    const demo = await setupAuth(loadConfig({ DATA_DIR: dir }), log)
    expect([demo.secretSource, demo.publicConfig, Object.keys(demo.demoTokens ?? {}).sort()]).toEqual(['data-dir', { demo: true }, ['admin', 'analyst', 'ingest', 'seller', 'trader']])
    const again = await setupAuth(loadConfig({ DATA_DIR: dir }), log)
    expect((await again.auth.verify(demo.demoTokens!.trader)).sub).toBe('demo-trader') // the kept secret
    const given = await setupAuth(loadConfig({ DATA_DIR: dataDir(), AUTH_SECRET: 'x'.repeat(40) }), log)
    expect([given.secretSource, given.publicConfig, given.demoTokens]).toEqual(['env', { demo: false }, undefined])
    const off = await setupAuth(loadConfig({ DATA_DIR: dataDir(), AUTH_DEMO: 'off' }), log)
    expect([off.secretSource, off.publicConfig.demo]).toEqual(['data-dir', false])
    for (const s of [demo, again, given, off]) await s.close()
  })

  it('with an identity provider only: no secret, no demo, the OIDC settings for the UI', async () => {
    const s = await setupAuth(loadConfig({
      DATA_DIR: dataDir(), AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks', AUTH_ISSUER: 'https://idp', AUTH_AUDIENCE: 'api',
      AUTH_OIDC_ISSUER: 'https://idp', AUTH_OIDC_CLIENT_ID: 'ui', AUTH_OIDC_PARAMS: 'audience=https://api&x=1',
    }), log)
    expect([s.secretSource, s.auth.canSign, s.publicConfig]).toEqual(['none', false, {
      demo: false, oidc: { issuer: 'https://idp', clientId: 'ui', scope: 'openid profile', extraParams: { audience: 'https://api', x: '1' } },
    }])
    await expect(s.auth.sign({ sub: 'x', roles: ['trader'] })).rejects.toMatchObject({ code: 'INTERNAL' })
    await s.close()
  })
})
