import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ValidationFailed } from '#libs/shared';

/** Addresses a webhook must not reach: loopback, link-local, private, unique-local, unspecified, CGNAT, metadata. */
const INTERNAL_ADDRESSES = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  INTERNAL_ADDRESSES.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  INTERNAL_ADDRESSES.addSubnet(network, prefix, 'ipv6');
}

export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return INTERNAL_ADDRESSES.check(mapped[1], 'ipv4');
    return INTERNAL_ADDRESSES.check(address, 'ipv6');
  }
  return INTERNAL_ADDRESSES.check(address, 'ipv4');
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
