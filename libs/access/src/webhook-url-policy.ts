import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ValidationFailed } from '#libs/shared';

/** IPv4 addresses a webhook must not reach: loopback, link-local, private, unspecified, CGNAT, benchmarking, multicast, reserved. */
const INTERNAL_IPV4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  INTERNAL_IPV4.addSubnet(network, prefix, 'ipv4');
}

/*
 * IPv6 ranges refused whole. Besides loopback, unique-local, link-local, site-local and multicast,
 * these are the ranges that carry an IPv4 address inside them and reach it through a translator or
 * tunnel: IPv4-compatible (::/96, which also holds :: and ::1), NAT64 (64:ff9b::/96 and the local-use
 * 64:ff9b:1::/48), 6to4 (2002::/16) and Teredo (2001::/32). Refusing the whole range rather than
 * decoding the IPv4 inside is the safe choice: no agency's webhook receiver needs a translated
 * address, and a decoder that misses one spelling is a hole. IPv4-mapped addresses (::ffff:0:0/96)
 * are the IPv4 address itself on a dual-stack socket, so they are judged by that address.
 */
const INTERNAL_IPV6 = new BlockList();
for (const [network, prefix] of [
  ['::', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['2001::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  INTERNAL_IPV6.addSubnet(network, prefix, 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address in any spelling (`::` compression, a dotted IPv4 tail). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail === undefined ? [] : tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  return [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups].map((group) => parseInt(group, 16));
}

export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return INTERNAL_IPV4.check(address, 'ipv4');
  const groups = ipv6Groups(address);
  const isMapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (isMapped) {
    const embedded = [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
    return INTERNAL_IPV4.check(embedded, 'ipv4');
  }
  return INTERNAL_IPV6.check(address, 'ipv6');
}

/**
 * Refuses webhook URLs that are not http(s) or that point inside our network (SSRF),
 * unless private targets are explicitly allowed (tests, the local demo).
 * Delivery checks the resolved address again, since DNS can change after this check.
 */
export async function assertAllowedWebhookUrl(value: string, allowPrivate: boolean): Promise<void> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw ValidationFailed.field('webhookUrl', 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw ValidationFailed.field('webhookUrl', 'must use http or https');
  }
  if (url.username || url.password) throw ValidationFailed.field('webhookUrl', 'must not contain credentials');
  if (allowPrivate) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) {
    throw ValidationFailed.field('webhookUrl', 'must not point to a local or internal host');
  }
  const addresses = isIP(host) ? [host] : await resolveAll(host);
  if (addresses.some(isInternalAddress)) {
    throw ValidationFailed.field('webhookUrl', 'must not point to a loopback, link-local or private address');
  }
}

async function resolveAll(host: string): Promise<string[]> {
  try {
    return (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
  } catch {
    throw ValidationFailed.field('webhookUrl', `host ${host} cannot be resolved`);
  }
}
