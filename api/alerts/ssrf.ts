// Webhook targets must not reach the internal network (issue 11): only http(s), and no
// loopback, private, link-local (cloud metadata), shared or reserved address unless the
// operator allows it (ALERT_WEBHOOK_ALLOW_PRIVATE). The host is resolved once per attempt,
// every address it resolves to is checked, and the connection goes to the address that was
// checked (webhooks.ts pins it), so a DNS answer that changes in between (rebinding) cannot
// point the request somewhere else.
import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

export interface AddressPolicy {
  allowPrivate: boolean
  /** Host → addresses (default: the system resolver, every address). Tests inject one. */
  resolve?: (host: string) => Promise<string[]>
}

// Not routable on the public internet, or special: what a rule must not be able to probe.
const blocked = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net, bits, 'ipv6')

/** The IPv4 address an IPv6 address carries (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16), if any. */
function embeddedIpv4(ip: string): string | undefined {
  const lower = ip.toLowerCase()
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
  if (dotted) return dotted[1]
  const groups = expandIpv6(lower)
  if (!groups) return undefined
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return v4(groups[6], groups[7])
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return v4(groups[6], groups[7])
  if (groups[0] === 0x2002) return v4(groups[1], groups[2])
  if (groups.slice(0, 6).every((g) => g === 0) && (groups[6] || groups[7] > 1)) return v4(groups[6], groups[7]) // IPv4-compatible ::a.b.c.d
  return undefined
}

function expandIpv6(ip: string): number[] | undefined {
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(ip)
  let text = ip
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number)
    text = ip.slice(0, -dotted[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.split('::')
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : [])
  const h = part(head)
  const t = part(tail)
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t]
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined
}

/** True for an address a webhook may not reach by default. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip)
  if (family === 4) return blocked.check(ip, 'ipv4')
  if (family !== 6) return true // not an address at all: refuse
  const v4 = embeddedIpv4(ip)
  if (v4 !== undefined) return isPrivateAddress(v4)
  return blocked.check(ip, 'ipv6')
}

const systemResolve = async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address)

/** A URL a webhook may be sent to, and the addresses checked for this attempt. */
export interface Target {
  url: URL
  /** Checked addresses; the request connects to the first. */
  addresses: string[]
}

export class TargetRefused extends Error {
  constructor(message: string, readonly unresolved = false) {
    super(message)
  }
}

/** Parses, resolves and checks `raw`; throws TargetRefused saying why not. */
export async function resolveTarget(raw: string, policy: AddressPolicy): Promise<Target> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new TargetRefused('not a URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetRefused('only http and https URLs')
  if (url.username || url.password) throw new TargetRefused('credentials in the URL are not allowed')
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  let addresses: string[]
  if (isIP(host)) addresses = [host]
  else {
    try {
      addresses = await (policy.resolve ?? systemResolve)(host)
    } catch {
      throw new TargetRefused(`cannot resolve ${host}`, true)
    }
  }
  if (!addresses.length) throw new TargetRefused(`cannot resolve ${host}`, true)
  if (!policy.allowPrivate) {
    const bad = addresses.find(isPrivateAddress)
    if (bad) throw new TargetRefused(`${host} is a private, loopback, link-local or reserved address (${bad}); refused unless ALERT_WEBHOOK_ALLOW_PRIVATE is set`)
  }
  return { url, addresses }
}

/**
 * What is wrong with a webhook URL when a rule is saved, or undefined. A host that does not
 * resolve yet is accepted: every delivery resolves and checks it again, and that is the check
 * that counts.
 */
export async function checkWebhookUrl(raw: string, policy: AddressPolicy): Promise<string | undefined> {
  try {
    await resolveTarget(raw, policy)
    return undefined
  } catch (e) {
    if (e instanceof TargetRefused) return e.unresolved ? undefined : e.message
    throw e
  }
}
