// Webhook targets: which addresses count as internal, and which URLs are refused before any
// request is made (every spelling of loopback and the metadata address included).
import { describe, expect, it } from 'vitest'
import { checkWebhookUrl, isPrivateAddress, resolveTarget, TargetRefused } from './ssrf.ts'

describe('webhook address policy', () => {
  it('classes loopback, private, link-local (metadata), shared, reserved and embedded-IPv4 addresses as internal', () => {
    const internal = ['127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
      '224.0.0.1', '255.255.255.255', '198.18.0.1', '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '::ffff:7f00:1',
      '64:ff9b::a9fe:a9fe', '2002:7f00:1::', '::ffff:169.254.169.254', '::127.0.0.1', 'ff02::1', 'not-an-ip']
    const external = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8']
    expect(internal.filter((ip) => !isPrivateAddress(ip))).toEqual([])
    expect(external.filter(isPrivateAddress)).toEqual([])
  })

  it('refuses other schemes, credentials, and every spelling of an internal host unless private targets are allowed', async () => {
    const resolve = async (host: string) => ({ 'metadata.google.internal': ['169.254.169.254'], 'mixed.example': ['93.184.216.34', '10.0.0.1'], 'hooks.example': ['93.184.216.34'] })[host] ?? []
    const refused = ['http://127.1/', 'http://2130706433/', 'http://0x7f000001/', 'http://0177.0.0.1/', 'http://[::ffff:127.0.0.1]/x', 'http://[::1]:8080/',
      'http://169.254.169.254/latest/meta-data/', 'http://metadata.google.internal/computeMetadata/v1/', 'http://mixed.example/', 'file:///etc/passwd',
      'gopher://hooks.example/', 'ftp://hooks.example/', 'http://user:pw@hooks.example/', 'javascript:alert(1)', 'not a url', 'http://localhost:9/']
    for (const url of refused) await expect(resolveTarget(url, { allowPrivate: false, resolve: url.includes('localhost') ? undefined : resolve }), url).rejects.toBeInstanceOf(TargetRefused)
    expect((await resolveTarget('https://hooks.example/x', { allowPrivate: false, resolve })).addresses).toEqual(['93.184.216.34'])
    expect((await resolveTarget('http://127.0.0.1:9/x', { allowPrivate: true })).addresses).toEqual(['127.0.0.1'])
    expect(await checkWebhookUrl('http://169.254.169.254/', { allowPrivate: false })).toMatch(/ALERT_WEBHOOK_ALLOW_PRIVATE/)
    // A host that does not resolve yet may be saved: every delivery checks it again.
    expect(await checkWebhookUrl('https://nowhere.invalid/hook', { allowPrivate: false, resolve: async () => Promise.reject(new Error('ENOTFOUND')) })).toBeUndefined()
  })
})
